"""Serve FlowPilot's HaloPSA simulator until Ctrl-C: for the demo, integration tests and benchmarks."""

from devtools.halopsa.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_CLIENT_SECRET,
    SIMULATOR_HOST,
    SIMULATOR_PORT,
    HaloSimulator,
)
from devtools.management.simulator_command import SimulatorCommand


class Command(SimulatorCommand):
    help = "Serve the HaloPSA simulator: halo_simulator --port 8768 [--latency-ms 50] [--transient-rate 0.1]"
    simulator_class = HaloSimulator
    default_host, default_port = SIMULATOR_HOST, SIMULATOR_PORT

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--token-ttl", type=float, default=None, help="Seconds an access token lives (3600).")

    def extra_faults(self, options) -> dict:
        return {} if options["token_ttl"] is None else {"token_ttl_seconds": options["token_ttl"]}

    def credentials(self, simulator) -> str:
        return (
            f"HaloPSA simulator at {simulator.url} — client id {SIMULATOR_CLIENT_ID}, "
            f"client secret {SIMULATOR_CLIENT_SECRET}, no tenant, authorisation URL {simulator.url}/auth"
        )
