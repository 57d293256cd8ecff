"""Serve FlowPilot's ConnectWise Manage simulator until Ctrl-C: for the demo, integration tests and benchmarks."""

from devtools.connectwise.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_COMPANY_ID,
    SIMULATOR_HOST,
    SIMULATOR_PORT,
    SIMULATOR_PRIVATE_KEY,
    SIMULATOR_PUBLIC_KEY,
    ConnectWiseSimulator,
)
from devtools.management.simulator_command import SimulatorCommand


class Command(SimulatorCommand):
    help = "Serve the ConnectWise Manage simulator: cw_simulator --port 8765 [--latency-ms 50] [--transient-rate 0.1]"
    simulator_class = ConnectWiseSimulator
    default_host, default_port = SIMULATOR_HOST, SIMULATOR_PORT

    def credentials(self, simulator) -> str:
        return (
            f"ConnectWise simulator at {simulator.url} — company {SIMULATOR_COMPANY_ID}, "
            f"public key {SIMULATOR_PUBLIC_KEY}, private key {SIMULATOR_PRIVATE_KEY}, client id {SIMULATOR_CLIENT_ID}"
        )
