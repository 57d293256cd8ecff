"""`python -m bench.redaction`: how well each candidate redactor does on tests/llm/redaction_corpus.py.

Recall is the share of the corpus's secrets left with no fragment in the output; the false-positive
rate is the share of its benign lines changed at all. Every candidate runs on the same corpus in the
same run:

- the rules before the corpus existed (BEFORE_PATH at BEFORE, read from git);
- detect-secrets with every plugin at its default settings, each line through `scan_line`, a finding
  kept when the plugin's own verdict is "True" (what `detect-secrets scan --string` prints);
- each set of rules followed by detect-secrets, as a second pass;
- llm/redaction.py as it is now.

`--show` lists what each candidate missed and what it changed that it should have left alone.
"""

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings, get_plugins

from llm import redaction
from tests.llm.redaction_corpus import BENIGN, SECRETS, remains

BEFORE = "3f3c846"  # the last commit with the hand-written rules measured on no corpus (before llm/ existed)
BEFORE_PATH = "handoff/redaction.py"
REPOSITORY = Path(__file__).resolve().parent.parent

Redactor = Callable[[str], str]


@dataclass
class Result:
    name: str
    missed: list[tuple[str, str]]  # (line, what came out)
    changed: list[tuple[str, str]]
    seconds: float

    def row(self) -> str:
        removed = len(SECRETS) - len(self.missed)
        per_line = self.seconds / (len(SECRETS) + len(BENIGN)) * 1000
        return (
            f"{self.name:<50} {removed:>3}/{len(SECRETS)} {removed / len(SECRETS):>6.1%}   "
            f"{len(self.changed):>3}/{len(BENIGN)} {len(self.changed) / len(BENIGN):>6.1%}   {per_line:>7.3f}"
        )


def measure(name: str, redact: Redactor) -> Result:
    started = time.perf_counter()
    secret_outputs = [(line, secret, redact(line)) for line, secret in SECRETS]
    benign_outputs = [(line, redact(line)) for line in BENIGN]
    seconds = time.perf_counter() - started
    return Result(
        name=name,
        missed=[(line, out) for line, secret, out in secret_outputs if remains(secret, out)],
        changed=[(line, out) for line, out in benign_outputs if out != line],
        seconds=seconds,
    )


def rules_before() -> Redactor | None:
    """The redaction rules as they were at BEFORE, or None without git (a tarball of the tree)."""
    git = shutil.which("git")
    if git is None:
        return None
    shown = subprocess.run(
        [git, "show", f"{BEFORE}:{BEFORE_PATH}"], cwd=REPOSITORY, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "redaction_before.py"
        path.write_text(shown.stdout)
        spec = importlib.util.spec_from_file_location("redaction_before", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.redact_secrets


def detect_secrets(text: str) -> str:
    """Every finding detect-secrets reports as a secret, replaced line by line. Needs default_settings().

    In ad hoc scans the entropy plugins report every base64 or hex run and leave the verdict to the
    caller (`format_scan_result`, "True (4.9)" or "False (2.1)"): only the true ones are kept.
    """
    plugins = {plugin.secret_type: plugin for plugin in get_plugins()}
    lines = []
    for line in text.split("\n"):
        found = {
            secret.secret_value
            for secret in scan_line(line)
            if plugins[secret.type].format_scan_result(secret).startswith("True")
        }
        for value in sorted(found, key=len, reverse=True):
            line = line.replace(value, redaction.REDACTED)
        lines.append(line)
    return "\n".join(lines)


def then_detect_secrets(first: Redactor) -> Redactor:
    return lambda text: detect_secrets(first(text))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redaction", description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="List each candidate's misses and false positives.")
    options = parser.parse_args()

    detect_secrets_name = f"detect-secrets {version('detect-secrets')}"
    candidates: list[tuple[str, Redactor]] = []
    before = rules_before()
    if before is not None:
        candidates += [
            (f"{BEFORE_PATH} before ({BEFORE})", before),
            (f"{BEFORE_PATH} before + {detect_secrets_name}", then_detect_secrets(before)),
        ]
    candidates += [
        (f"{detect_secrets_name}, default plugins", detect_secrets),
        ("llm/redaction.py now", redaction.redact_secrets),
        (f"llm/redaction.py now + {detect_secrets_name}", then_detect_secrets(redaction.redact_secrets)),
    ]
    with default_settings():
        results = [measure(name, redact) for name, redact in candidates]

    print(f"Redaction on tests/llm/redaction_corpus.py: {len(SECRETS)} secrets, {len(BENIGN)} benign lines")
    if before is None:
        print(f"(no git history here: the rules before, at {BEFORE}, are not measured)")
    print()
    print(f"{'candidate':<50} {'secrets removed':>15}   {'benign changed':>14}   {'ms/line':>7}")
    for result in results:
        print(result.row())
    if options.show:
        for result in results:
            print(f"\n{result.name}: {len(result.missed)} missed, {len(result.changed)} changed")
            for line, out in result.missed:
                print(f"  missed   {line!r}\n        -> {out!r}")
            for line, out in result.changed:
                print(f"  changed  {line!r}\n        -> {out!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
