"""The offline drafter: the same sections as the model's, built deterministically from the bundle.

Used when no ANTHROPIC_API_KEY is set, and as the fallback when the model fails or will not keep the
format. Every live fact appears in it. The resolution note goes in front of the customer, so it
leaves out scripts, check commands and confidence figures.
"""

from handoff.kinds import NO_HYPOTHESIS_BELOW_PCT, NO_HYPOTHESIS_TEXT, TRY_FIX_FIRST_ABOVE_PCT, DraftKind
from sessions.models import ScriptTemplate

OUTCOME_WORDS = {
    "proposed": "proposed, not applied yet",
    "applied_success": "applied, and it fixed the problem",
    "applied_failed": "applied, but it did not fix the problem",
    "applied_partial": "applied, and it partly fixed the problem",
    "applied_pending": "applied, pending verification",
    "dismissed": "dismissed",
}


def draft_offline(kind: DraftKind, bundle: dict) -> str:
    sections = _resolution_sections(bundle) if kind == DraftKind.RESOLUTION_NOTE else _escalation_sections(bundle)
    return "\n\n".join(f"## {heading}\n\n{body.strip()}" for heading, body in zip(kind.headings, sections, strict=True))


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else f"{text}."


def _clause(text: str) -> str:
    """Text to use inside a sentence: one line, no closing full stop."""
    return " ".join(text.split()).rstrip(".")


def _problem(bundle: dict) -> str:
    return _sentence(bundle["problem_summary"] or bundle["title"])


def _with_notes(text: str, fix: dict) -> str:
    return f"{text} {_sentence(fix['outcome_notes'])}".strip() if fix["outcome_notes"] else text


# Resolution note


def _resolution_sections(bundle: dict) -> list[str]:
    fix = bundle["active_fix"]
    facts = [_sentence(fact["text"]) for fact in bundle["facts"]]
    return [
        _problem(bundle),
        _bullets(facts, "Nothing beyond the reported symptoms was recorded."),
        _root_cause(fix),
        _resolution(fix),
    ]


def _root_cause(fix: dict | None) -> str:
    if not fix or fix["outcome"] in ("dismissed", "applied_failed"):
        return "Not determined yet."
    if fix["outcome"] == "proposed":
        return "Not confirmed yet; the findings above point to the recommended change below."
    return "Identified from the findings above, and addressed by the change described below."


def _resolution(fix: dict | None) -> str:
    if not fix or fix["outcome"] == "dismissed":
        return "No fix has been applied yet; we are continuing to investigate."
    applied = f'We applied the fix "{_clause(fix["title"])}"'
    details = f" {_sentence(fix['description'])}" if fix["description"] else ""
    return {
        "applied_success": f"{applied} and it resolved the problem.{details} If it comes back, reply to this "
        "ticket and we will pick it up.",
        "applied_partial": _with_notes(f"{applied} and it partly resolved the problem.", fix)
        + " We are continuing to work on what remains.",
        "applied_pending": f"{applied}.{details} The result is pending verification: we will confirm with you "
        "that it worked before closing this ticket.",
        "applied_failed": _with_notes(f"{applied}, but it did not resolve the problem.", fix)
        + " We are continuing to investigate.",
        "proposed": f"Recommended next: {_clause(fix['title'])}.{details} We will agree the change with you "
        "before making it.",
    }[fix["outcome"]]


# Escalation package


def _escalation_sections(bundle: dict) -> list[str]:
    return [
        _escalation_problem(bundle),
        _confirmed(bundle),
        _tried(bundle),
        _hypothesis(bundle["active_fix"]),
        _next_steps(bundle),
    ]


def _escalation_problem(bundle: dict) -> str:
    ticket = f" (ticket {bundle['ticket']})" if bundle["ticket"] else ""
    summary = f" {_sentence(bundle['problem_summary'])}" if bundle["problem_summary"] else ""
    text = f"{_clause(bundle['title'])}{ticket}.{summary}"
    if bundle["intake"]:
        text += "\n\nIntake:\n\n" + "\n".join(f"> {line}" for line in bundle["intake"].strip().splitlines())
    return text


def _confirmed(bundle: dict) -> str:
    facts = [f"{_sentence(fact['text'])}{_source(fact)}" for fact in bundle["facts"]]
    return _bullets(facts, "Nothing confirmed yet.")


def _source(fact: dict) -> str:
    return "" if fact["source"] == "engineer" else f" ({fact['source'].replace('_', ' ')})"


def _tried(bundle: dict) -> str:
    lines = []
    for check in bundle["checks"]:
        command = f" (`{check['command']}`)" if check["command"] else ""
        output = f" {_sentence(check['output_summary'])}" if check["output_summary"] else ""
        lines.append(f"{check['name']}{command}: {check['result']}.{output}")
    for script in bundle["scripts"]:
        language = ScriptTemplate.Language(script["language"]).label
        lines.append(f'Generated the "{script["template"]}" script ({language}).')
    fixes = [*bundle["earlier_fixes"]]
    if bundle["active_fix"] and bundle["active_fix"]["outcome"].startswith("applied_"):
        fixes.append(bundle["active_fix"])
    for fix in fixes:
        lines.append(_with_notes(f"{_clause(fix['title'])}: {OUTCOME_WORDS[fix['outcome']]}.", fix))
    return _bullets(lines, "Nothing tried yet.")


def _hypothesis(fix: dict | None) -> str:
    if not fix or fix["outcome"] in ("dismissed", "applied_failed"):
        tried = f" {_clause(fix['title'])} was {OUTCOME_WORDS[fix['outcome']]}." if fix else ""
        return f"{NO_HYPOTHESIS_TEXT}{tried}"
    if fix["confidence_pct"] < NO_HYPOTHESIS_BELOW_PCT:
        return f"{NO_HYPOTHESIS_TEXT} The best candidate so far: {fix['title']} ({fix['confidence_pct']}% confidence)."
    description = f" {_sentence(fix['description'])}" if fix["description"] else ""
    status = OUTCOME_WORDS[fix["outcome"]]
    return f"{_clause(fix['title'])} ({fix['confidence_pct']}% confidence; {status}).{description}"


def _next_steps(bundle: dict) -> str:
    fix = bundle["active_fix"]
    steps = []
    if fix:
        title = _clause(fix["title"])
        outcome = fix["outcome"]
        if outcome == "proposed" and fix["confidence_pct"] > TRY_FIX_FIRST_ABOVE_PCT:
            steps.append(f"Try the suggested fix: {title}.")
        elif outcome == "proposed" and fix["confidence_pct"] >= NO_HYPOTHESIS_BELOW_PCT:
            steps.append(f"Confirm the hypothesis before applying it: {title}.")
        elif outcome == "applied_pending":
            steps.append(f"Verify with the user whether {title} fixed the problem.")
        elif outcome == "applied_partial":
            steps.append(_with_notes(f"Finish what {title} left unresolved.", fix))
        elif outcome == "applied_failed":
            steps.append(f"Look for another cause: {title} did not fix it.")
    failed = [check["name"] for check in bundle["checks"] if check["result"] == "failed"]
    if failed:
        steps.append(f"Investigate the failed checks: {', '.join(failed)}.")
    steps.append("Reproduce the problem with the user and confirm the facts above still hold.")
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
