"""`.venv/bin/python -m bench.thinking`: what each action's thinking setting saves a draft, on the Claude stub.

Drafts both kinds of the demo sessions through the real pipeline (draft_generate → the SDK → the stub on
127.0.0.1) with thinking as configured (FLOWPILOT_DRAFT_THINKING; both actions `disabled` by default) and
with Sonnet 5.x's default, adaptive thinking, interleaved in one run (the order alternating by round), and
prints median latency and output tokens of each, and what the setting saves.

The stub stands in for Claude with stated assumptions, printed with the table: it thinks
--thinking-tokens per draft when left adaptive, answers a draft of realistic length (about 200 words for
a resolution note, 330 for an escalation package) and generates --tokens-per-second after
--first-token-seconds. The figures measure what those assumptions imply through the whole path; how much
the real model thinks about a draft is for the API's own usage figures (recorded per call) to show.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import Spread

KINDS = ("resolution_note", "escalation_package")
WORDS_PER_SECTION = {"resolution_note": 48, "escalation_package": 63}
FILLER = "we confirmed the cached credential was stale and replaced it after the user signed in again"


def realistic_answer(kind) -> str:
    """A well-formed draft of about the length the prompt asks for (FLOWPILOT's 80–200 / 150–400 words)."""
    words = WORDS_PER_SECTION[kind]
    filler = FILLER.split()
    body = " ".join(filler[i % len(filler)] for i in range(words)) + "."
    return "\n\n".join(f"## {heading}\n\n{body}" for heading in kind.headings)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.thinking", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="Rounds; each drafts every kind once per setting.")
    parser.add_argument("--tokens-per-second", type=float, default=80.0, help="The stub's output speed.")
    parser.add_argument("--first-token-seconds", type=float, default=0.4, help="The stub's time to first token.")
    parser.add_argument("--thinking-tokens", type=int, default=None, help="What the stub thinks when adaptive.")
    options = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="flowpilot-bench-thinking-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "flowpilot.settings",
            "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
            "ANTHROPIC_API_KEY": "stub-not-a-key",
        }
    )
    import django

    django.setup()
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request would bury the table
    from django.conf import settings

    from devtools.claude_stub import ClaudeStub

    with ClaudeStub() as stub:
        settings.ANTHROPIC_BASE_URL = stub.url
        stub.delay_seconds = options.first_token_seconds
        stub.tokens_per_second = options.tokens_per_second
        if options.thinking_tokens is not None:
            stub.thinking_tokens = options.thinking_tokens
        print(measure(stub, options.rounds))
    return 0


def measure(stub, rounds: int) -> str:
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    from devtools.demo import demo_seed
    from drafting.kinds import DraftKind
    from drafting.pipeline import draft_generate
    from sessions.models import Session

    call_command("migrate", "--no-input", verbosity=0)
    sessions = list(Session.objects.filter(account=demo_seed()).order_by("pk"))
    configured = dict(settings.FLOWPILOT_DRAFT_THINKING)
    settings_under_test = {
        "configured": configured,
        "adaptive": dict.fromkeys(configured, "adaptive"),  # what Sonnet 5.x does when a request does not say
    }
    samples = {(name, kind): [] for name in settings_under_test for kind in KINDS}
    for round_number in range(rounds):
        order = list(settings_under_test) if round_number % 2 == 0 else list(reversed(settings_under_test))
        session = sessions[round_number % len(sessions)]
        for kind in KINDS:
            for name in order:
                with override_settings(FLOWPILOT_DRAFT_THINKING=settings_under_test[name]):
                    stub.reply_with({"text": realistic_answer(DraftKind(kind))})
                    started = time.perf_counter()
                    draft = draft_generate(session_id=session.pk, kind=DraftKind(kind))
                    elapsed_ms = (time.perf_counter() - started) * 1000
                if draft.drafted_by == "offline":
                    raise SystemExit(f"FATAL: a {kind} draft fell back offline: {draft.offline_reason}")
                samples[name, kind].append((elapsed_ms, draft.output_tokens, draft.thinking_tokens, draft.model_calls))
    return table(samples, configured, stub, rounds)


def table(samples: dict, configured: dict, stub, rounds: int) -> str:
    lines = [
        f"Claude stub: {stub.thinking_tokens} thinking tokens per draft when adaptive, {stub.tokens_per_second:g} "
        f"output tokens/s after {stub.delay_seconds:g} s; {rounds} rounds, settings interleaved, medians "
        "(interquartile range).",
        "",
        "| Draft | Thinking | Latency | Output tokens | of which thinking | Model calls |",
        "|---|---|---|---|---|---|",
    ]
    savings = []
    for kind in KINDS:
        spreads = {}
        labels = {"configured": f"{configured[kind]} (the setting)", "adaptive": "adaptive (model default)"}
        for name, label in labels.items():
            rows = samples[name, kind]
            spreads[name] = [Spread.of([row[i] for row in rows]) for i in range(4)]
            latency, output, thinking, model_calls = spreads[name]
            lines.append(
                f"| {kind} | {label} | {latency.show(' ms', 0)} | {output.show('', 0)} | {thinking.show('', 0)} "
                f"| {model_calls.show('', 0)} |"
            )
        saved_ms = spreads["adaptive"][0].median - spreads["configured"][0].median
        saved_tokens = spreads["adaptive"][1].median - spreads["configured"][1].median
        savings.append(
            f"- {kind}: {configured[kind]} saves {saved_ms:.0f} ms ({saved_ms / spreads['adaptive'][0].median:.0%}) "
            f"and {saved_tokens:.0f} output tokens ({saved_tokens / spreads['adaptive'][1].median:.0%}) per draft "
            "against adaptive thinking."
        )
    return "\n".join([*lines, "", *savings])


if __name__ == "__main__":
    sys.exit(main())
