"""Serve FlowPilot's ConnectWise Manage simulator until Ctrl-C: for the demo, integration tests and benchmarks."""

import contextlib
import ipaddress

from django.core.management.base import BaseCommand, CommandError

from psa.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_COMPANY_ID,
    SIMULATOR_HOST,
    SIMULATOR_PORT,
    SIMULATOR_PRIVATE_KEY,
    SIMULATOR_PUBLIC_KEY,
    ConnectWiseSimulator,
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Serve the ConnectWise Manage simulator: cw_simulator --port 8765 [--latency-ms 50] [--transient-rate 0.1]"
    requires_system_checks = []  # needs neither the database nor the app's checks

    def add_arguments(self, parser):
        parser.add_argument("--host", default=SIMULATOR_HOST, help="Interface to listen on (loopback only by default).")
        parser.add_argument("--port", type=int, default=SIMULATOR_PORT, help="Port to listen on (0 picks a free one).")
        parser.add_argument("--latency-ms", type=float, default=0, help="Delay every API answer by this much.")
        parser.add_argument(
            "--transient-rate", type=float, default=0, help="Share of API calls failing with 429, 503 or a drop."
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for --transient-rate, for repeatable runs.")
        parser.add_argument("--verbose", action="store_true", help="Log every request line to stderr.")
        parser.add_argument(
            "--allow-remote", action="store_true", help="Allow a non-loopback --host (the keys are public dummies)."
        )

    def handle(self, *args, host, port, latency_ms, transient_rate, seed, verbose, allow_remote, **options):
        if not is_loopback(host) and not allow_remote:
            raise CommandError(
                f"Refusing to serve the simulator on {host}: its credentials are public. "
                "Use a loopback host, or pass --allow-remote if you really mean it."
            )
        simulator = ConnectWiseSimulator(host=host, port=port, verbose=verbose)
        try:
            simulator.set_faults(latency_ms=latency_ms, transient_rate=transient_rate, seed=seed)
            simulator.bind()
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None
        self.stdout.write(
            f"ConnectWise simulator at {simulator.url} — company {SIMULATOR_COMPANY_ID}, "
            f"public key {SIMULATOR_PUBLIC_KEY}, private key {SIMULATOR_PRIVATE_KEY}, client id {SIMULATOR_CLIENT_ID} "
            "(fixed dummy credentials, for the simulator only). Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            with contextlib.suppress(KeyboardInterrupt):
                simulator.serve_forever()
        finally:
            simulator.stop()
