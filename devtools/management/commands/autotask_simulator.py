"""Serve FlowPilot's Autotask PSA simulator until Ctrl-C: for the demo, integration tests and benchmarks."""

from devtools.autotask.simulator import (
    SIMULATOR_HOST,
    SIMULATOR_INTEGRATION_CODE,
    SIMULATOR_PORT,
    SIMULATOR_SECRET,
    SIMULATOR_USERNAME,
    AutotaskSimulator,
)
from devtools.management.simulator_command import SimulatorCommand


class Command(SimulatorCommand):
    help = "Serve the Autotask simulator: autotask_simulator --port 8767 [--latency-ms 50] [--transient-rate 0.1]"
    simulator_class = AutotaskSimulator
    default_host, default_port = SIMULATOR_HOST, SIMULATOR_PORT

    def credentials(self, simulator) -> str:
        return (
            f"Autotask simulator at {simulator.url} (zone lookup; the zone is {simulator.api_url}) — "
            f"username {SIMULATOR_USERNAME}, secret {SIMULATOR_SECRET}, integration code {SIMULATOR_INTEGRATION_CODE}"
        )
