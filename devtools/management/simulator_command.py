"""What the three PSA simulators' management commands share: the options (where to listen, latency, a
transient-fault rate), the refusal to listen beyond loopback without --allow-remote (the credentials are
public dummies), and serving until Ctrl-C. Each command names its simulator and says its credentials."""

import contextlib
import ipaddress

from django.core.management.base import BaseCommand, CommandError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SimulatorCommand(BaseCommand):
    simulator_class: type  # a devtools.serving.ServedSimulator
    default_host: str
    default_port: int
    requires_system_checks = []  # needs neither the database nor the app's checks

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default=self.default_host, help="Interface to listen on (loopback only by default)."
        )
        parser.add_argument(
            "--port", type=int, default=self.default_port, help="Port to listen on (0 picks a free one)."
        )
        parser.add_argument("--latency-ms", type=float, default=0, help="Delay every API answer by this much.")
        parser.add_argument(
            "--transient-rate", type=float, default=0, help="Share of API calls failing with 429, 503 or a drop."
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for --transient-rate, for repeatable runs.")
        parser.add_argument("--verbose", action="store_true", help="Log every request line to stderr.")
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="Allow a non-loopback --host (the credentials are public dummies).",
        )

    def extra_faults(self, options) -> dict:
        """This simulator's own fault settings from its own options (none by default)."""
        return {}

    def credentials(self, simulator) -> str:
        """The line saying where the simulator is and which dummy credentials reach it."""
        raise NotImplementedError

    def handle(self, *args, host, port, latency_ms, transient_rate, seed, verbose, allow_remote, **options):
        if not is_loopback(host) and not allow_remote:
            raise CommandError(
                f"Refusing to serve the simulator on {host}: its credentials are public. "
                "Use a loopback host, or pass --allow-remote if you really mean it."
            )
        # The demo's tickets come with the notes people wrote before FlowPilot, as a real ticket does.
        simulator = self.simulator_class(host=host, port=port, ticket_history=True, verbose=verbose)
        try:
            simulator.set_faults(
                latency_ms=latency_ms, transient_rate=transient_rate, seed=seed, **self.extra_faults(options)
            )
            simulator.bind()
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None
        self.stdout.write(
            f"{self.credentials(simulator)} (fixed dummy credentials, for the simulator only). Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            with contextlib.suppress(KeyboardInterrupt):
                simulator.serve_forever()
        finally:
            simulator.stop()
