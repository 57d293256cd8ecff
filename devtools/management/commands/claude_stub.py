"""Serve the local Claude stub, to try model drafting (and its request) without the real API."""

from django.core.management.base import BaseCommand, CommandError

from devtools.claude_stub import ClaudeStub


class Command(BaseCommand):
    help = "Serve a local stand-in for the Claude Messages API on 127.0.0.1 (tests, demos, benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--delay", type=float, default=0.0, help="Seconds before each answer starts.")
        parser.add_argument(
            "--first-token-delay", type=float, default=0.8, help="Seconds a streamed answer waits for its first word."
        )
        parser.add_argument(
            "--tokens-per-second", type=float, default=120.0, help="How fast answers are written (0: at once)."
        )

    def handle(self, *args, port, delay, first_token_delay, tokens_per_second, **options):
        try:
            stub = ClaudeStub(port=port)
        except OSError as exc:
            raise CommandError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}.") from None
        stub.delay_seconds = delay
        stub.first_token_delay_seconds = first_token_delay
        stub.tokens_per_second = tokens_per_second or None
        self.stdout.write(
            f"Claude stub on {stub.url} — run FlowPilot with ANTHROPIC_API_KEY=stub ANTHROPIC_BASE_URL={stub.url}"
        )
        try:
            stub.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            stub.stop()
