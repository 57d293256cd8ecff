"""The offline drafter: the same sections as the model's, built deterministically from the bundle.

Used when no ANTHROPIC_API_KEY is set, and as the fallback when the model fails or will not keep the
format. The two documents keep the same rules the model is given (drafting.prompts):

- The resolution note goes in front of the customer: plain sentences only (`drafting.customer_text`
  leaves out every sentence with a command, host name, path, address or confidence figure), only
  confirmed facts (never the assistant's suggestions), the root cause said plainly or said to be not
  determined, the fix's outcome notes, and no promise of later work: the note closes the ticket, so
  anything still open is the customer's to raise by replying.
- The escalation package is for the next engineer: every fact with its source in words, the
  assistant's suggestions apart as unconfirmed, the intake line by line, each script once, and next
  steps drawn from the open fix and the failed or inconclusive checks.

A change to what either document says bumps `drafting.previews.DRAFTER_VERSION` (the preview cache's key).
"""

import re
from functools import partial

from drafting.bundle import SOURCE_IN_WORDS
from drafting.customer_text import customer_safe, session_hosts, session_internal_names
from drafting.kinds import NO_HYPOTHESIS_BELOW_PCT, NO_HYPOTHESIS_TEXT, TRY_FIX_FIRST_ABOVE_PCT, DraftKind
from sessions.models import Fact, ScriptTemplate

OUTCOME_WORDS = {
    "proposed": "proposed, not applied yet",
    "applied_success": "applied, and it fixed the problem",
    "applied_failed": "applied, but it did not fix the problem",
    "applied_partial": "applied, and it partly fixed the problem",
    "applied_pending": "applied, pending verification",
    "dismissed": "dismissed",
}
ROOT_CAUSE_UNKNOWN = "We have not determined the root cause yet."
NO_FIX_RESOLUTION = (
    "We did not make a specific change to fix this. If the problem is still affecting you, reply to this ticket "
    "and we will pick it up again."
)
REPLY_IF_IT_PERSISTS = "If the problem is still affecting you, reply to this ticket and we will pick it up again."
REPLY_IF_IT_IS_STILL_THERE = "If the problem is still there, reply to this ticket and we will pick it up again."
ROOT_CAUSE_UNCONFIRMED = "We have not confirmed the root cause yet."
UNCONFIRMED_HEADING = "Suggested by the assistant, not confirmed yet:"
GENERIC_NEXT_STEP = "Reproduce the problem with the user and confirm the facts above still hold."
_ENGINEER = SOURCE_IN_WORDS[Fact.SourceType.ENGINEER]
_REPORTED = SOURCE_IN_WORDS[Fact.SourceType.PSA]


def draft_offline(kind: DraftKind, bundle: dict) -> str:
    sections = SECTION_WRITERS[kind](bundle)
    return "\n\n".join(f"## {heading}\n\n{body.strip()}" for heading, body in zip(kind.headings, sections, strict=True))


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else f"{text}."


def _clause(text: str) -> str:
    """Text to use inside a sentence: one line, no closing full stop."""
    return " ".join(text.split()).rstrip(".")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_notes(text: str, fix: dict) -> str:
    return f"{text} {_sentence(fix['outcome_notes'])}".strip() if fix["outcome_notes"] else text


# What a fix title says, in words a sentence can use: "Clear the queue and restart the spooler" is an
# instruction whose verbs become "clearing the queue and restarting the spooler".
_FIX_VERBS = {
    "add", "adjust", "allow", "allowlist", "apply", "approve", "assign", "bind", "block", "buy", "change", "check",
    "clean", "clear", "configure", "connect", "correct", "create", "delete", "deploy", "disable", "disconnect",
    "downgrade", "edit", "enable", "enrol", "enroll", "exclude", "extend", "fix", "flush", "force", "free", "grant",
    "import", "increase", "install", "join", "kill", "lower", "map", "migrate", "move", "order", "pair", "patch",
    "purchase", "purge", "raise", "reapply", "reassign", "rebind", "reboot", "rebuild", "reconfigure", "reconnect",
    "recreate", "recycle", "reduce", "refresh", "regenerate", "register", "reimage", "reinstall", "reissue",
    "rejoin", "remap", "remove", "rename", "renew", "repair", "replace", "rerun", "reseat", "reset", "resize",
    "restart", "restore", "resync", "revoke", "roll", "rotate", "run", "set", "sign", "start", "stop", "swap",
    "switch", "sync", "turn", "unblock", "uninstall", "unlock", "unmap", "update", "upgrade", "verify", "whitelist",
    "wipe",
}  # fmt: skip
_DOUBLED_LAST_LETTER = {"map", "remap", "unmap", "reset", "set", "run", "rerun", "stop", "swap", "enrol"}
_JOINING_WORDS = {"and", "then"}


def _is_verb(word: str) -> bool:
    """A fix verb as an instruction starts with it: "Clear", "re-enable"."""
    word = word.lower()
    return word in _FIX_VERBS or word.rpartition("-")[2] in _FIX_VERBS


def _is_instruction(text: str) -> bool:
    """Text that says what to do ("Run the script", "Removes the entry") rather than what was wrong."""
    first = text.split(" ", 1)[0].rstrip(",:;")
    return _is_verb(first) or _is_verb(first.removesuffix("s"))


def _gerund(verb: str) -> str:
    head, hyphen, last = verb.lower().rpartition("-")
    if last in _DOUBLED_LAST_LETTER:
        last += last[-1]
    elif last.endswith("e") and not last.endswith(("ee", "ye", "oe")):
        last = last[:-1]
    return f"{head}{hyphen}{last}ing"


def _fix_phrase(fix: dict, safe) -> str:
    """The fix as the subject of a customer's sentence: "clearing the queue and restarting the spooler",
    or 'the fix "…"' when its title is not an instruction, or "the fix we applied" when its title shows
    internal detail."""
    title = _clause(safe(fix["title"]))
    if not title:
        return "the fix we applied"
    words = title.split(" ")
    if not _is_verb(words[0]):
        return f'the fix "{title}"'
    phrase, after_joint = [], True
    for word in words:
        bare = word.rstrip(",;")
        if after_joint and _is_verb(bare):
            word = _gerund(bare) + word[len(bare) :]
        phrase.append(word)
        after_joint = bare.lower() in _JOINING_WORDS or word.endswith(",")
    return " ".join(phrase)


# Resolution note (customer-visible)


def _resolution_sections(bundle: dict) -> list[str]:
    safe = partial(customer_safe, internal_names=session_internal_names(bundle), hosts=session_hosts(bundle))
    fix = bundle["active_fix"]
    confirmed = [fact for fact in bundle["facts"] if fact["confirmed"]]
    # Each confirmed fact as the customer reads it ("" when it can only be said with internal detail).
    readable = [(fact, _sentence(safe(fact["text"]))) for fact in confirmed]
    lines = list(dict.fromkeys(text for _fact, text in readable if text))
    if lines:
        confirmed_text = _bullets(lines, "")
    elif confirmed:
        confirmed_text = "Our checks were technical; the root cause and the resolution below summarise them."
    else:
        confirmed_text = "Nothing beyond the reported symptoms was confirmed."
    # What the team found, not what the ticket reported, can say what was wrong.
    found = [text for fact, text in readable if text and fact["source"] != _REPORTED]
    return [
        _customer_problem(bundle, safe),
        confirmed_text,
        _root_cause(fix, found, safe),
        _resolution(fix, safe),
    ]


def _customer_problem(bundle: dict, safe) -> str:
    return _sentence(safe(bundle["problem_summary"]) or safe(bundle["title"]) or "The problem reported on this ticket")


_STOPWORDS = {
    "the", "and", "for", "with", "from", "that", "this", "then", "than", "their", "them", "they", "was", "were",
    "are", "has", "have", "had", "not", "but", "its", "all", "any", "one", "our", "your", "you", "after", "before",
    "into", "when", "which", "who", "what", "only", "also", "again", "still", "just", "can", "does", "did", "user",
    "users", "fix", "problem", "issue",
}  # fmt: skip


def _words(text: str) -> set[str]:
    """The content words of a text, crudely stemmed ("queued" and "queue" are one word)."""
    words = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if len(word) < 3 or word in _STOPWORDS:
            continue
        for suffixes in (("ing", "ed", "es", "s"), ("er", "e")):
            suffix = next((end for end in suffixes if word.endswith(end) and len(word) - len(end) >= 3), "")
            word = word.removesuffix(suffix)
        words.add(word)
    return words


def _cause(fix: dict, findings: list[str], safe) -> str:
    """What was wrong, as the session says it: the fix's description when it states a cause rather than an
    instruction, else the first of the team's findings that shares the most words with the fix (two at least)."""
    description = safe(fix["description"])
    if description and not _is_instruction(description):
        return _sentence(description)
    fix_words = _words(f"{fix['title']} {fix['description']}")
    shared, finding = max(
        ((len(_words(text) & fix_words), text) for text in findings), key=lambda pair: pair[0], default=(0, "")
    )
    return finding if shared >= 2 else ""


_LOWER_FIRST = {"the", "a", "an", "this", "these", "those", "its", "their", "all", "every", "each", "both", "only"}


def _that(cause: str) -> str:
    """A cause to follow "We found that": its first word in lower case when it is a plain determiner."""
    first = cause.split(" ", 1)[0]
    return cause[:1].lower() + cause[1:] if first.lower() in _LOWER_FIRST else cause


def _root_cause(fix: dict | None, findings: list[str], safe) -> str:
    if not fix or fix["outcome"] in ("dismissed", "applied_failed"):
        return ROOT_CAUSE_UNKNOWN
    cause = _cause(fix, findings, safe)
    outcome = fix["outcome"]
    if outcome == "proposed":
        return ROOT_CAUSE_UNCONFIRMED + (f" Our findings point to this cause: {cause}" if cause else "")
    if outcome == "applied_pending":
        if not cause:
            return ROOT_CAUSE_UNCONFIRMED
        return f"We believe that {_that(cause)} This is not confirmed, as we have not yet seen the fix work."
    if cause:
        return f"We found that {_that(cause)}"
    if outcome == "applied_partial":
        return "We have not fully determined the root cause yet."
    return "We did not identify a more specific cause than what the fix described below put right."


def _resolution(fix: dict | None, safe) -> str:
    if not fix or fix["outcome"] == "dismissed":
        return NO_FIX_RESOLUTION
    phrase = _fix_phrase(fix, safe)
    subject = _capital(phrase)
    notes = _sentence(safe(fix["outcome_notes"]))
    outcome, closing = {
        "applied_success": (
            f"{subject} resolved the problem.",
            "If it comes back, reply to this ticket and we will pick it up.",
        ),
        "applied_partial": (f"{subject} partly resolved the problem.", REPLY_IF_IT_PERSISTS),
        "applied_pending": (
            f"{subject} should resolve the problem. We have made this change, but we have not yet seen it work.",
            REPLY_IF_IT_IS_STILL_THERE,
        ),
        "applied_failed": (f"{subject} did not resolve the problem.", REPLY_IF_IT_PERSISTS),
        "proposed": (
            f"Our recommended fix is {phrase}.",
            "We have not made this change yet; reply to this ticket if you would like us to make it.",
        ),
    }[fix["outcome"]]
    return " ".join(part for part in (outcome, notes, closing) if part)


# Escalation package (internal)


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
    lines = [line.strip() for line in bundle["intake"].splitlines() if line.strip()]
    if lines:  # a quoted line of its own for each line, so no renderer joins them into one
        text += "\n\nIntake:\n\n" + "\n>\n".join(f"> {line}" for line in lines)
    return text


def _confirmed(bundle: dict) -> str:
    confirmed = [f"{_clause(fact['text'])}{_source(fact)}." for fact in bundle["facts"] if fact["confirmed"]]
    suggested = [
        f"{_clause(fact['text'])}{_source(fact, named=False)}." for fact in bundle["facts"] if not fact["confirmed"]
    ]
    text = _bullets(confirmed, "Nothing confirmed yet.")
    if suggested:
        text += f"\n\n{UNCONFIRMED_HEADING}\n\n{_bullets(suggested, '')}"
    return text


def _source(fact: dict, *, named: bool = True) -> str:
    """Where a fact came from, in brackets: its source in words (not for the engineer's own facts, nor where
    the list already names it) and its source summary."""
    said = [fact["source"]] if named and fact["source"] != _ENGINEER else []
    said += [_clause(fact["source_summary"])] if fact["source_summary"] else []
    return f" ({': '.join(said)})" if said else ""


def _tried(bundle: dict) -> str:
    lines = []
    for check in bundle["checks"]:
        command = f" (`{check['command']}`)" if check["command"] else ""
        output = f" {_sentence(check['output_summary'])}" if check["output_summary"] else ""
        lines.append(f"{check['name']}{command}: {check['result']}.{output}")
    for script in bundle["scripts"]:
        language = ScriptTemplate.Language(script["language"]).label
        times = f", {script['times_generated']} times" if script["times_generated"] > 1 else ""
        lines.append(f'Generated the "{script["template"]}" script ({language}){times}.')
    fixes = [*bundle["earlier_fixes"]]
    if bundle["active_fix"] and bundle["active_fix"]["outcome"].startswith("applied_"):
        fixes.append(bundle["active_fix"])
    for fix in fixes:
        lines.append(_with_notes(f'"{_clause(fix["title"])}": {OUTCOME_WORDS[fix["outcome"]]}.', fix))
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


def _fix_step(fix: dict) -> str:
    """What the next engineer does about the open fix, by its outcome and confidence."""
    title = _clause(fix["title"])
    quoted = f'"{title}"'
    outcome = fix["outcome"]
    if outcome == "proposed" and fix["confidence_pct"] > TRY_FIX_FIRST_ABOVE_PCT:
        return f"Try the suggested fix: {title}."
    if outcome == "proposed" and fix["confidence_pct"] >= NO_HYPOTHESIS_BELOW_PCT:
        return f"Confirm the hypothesis before applying it: {title}."
    if outcome == "proposed":
        return f"Find evidence for or against the best candidate so far before applying it: {title}."
    if outcome == "applied_pending":
        return _with_notes(f"Verify with the user whether {quoted} fixed the problem.", fix)
    if outcome == "applied_partial":
        return _with_notes(f"Finish what {quoted} left unresolved:", fix)
    if outcome == "applied_failed":
        return _with_notes(f"Look for another cause: {quoted} was applied and did not fix it; do not repeat it.", fix)
    if outcome == "applied_success":
        return f"Confirm with the user that the problem is still fixed: {quoted} was applied and worked."
    return f"Find a new candidate fix: {quoted} was dismissed."


def _check_steps(bundle: dict) -> list[str]:
    """A step for each failed or inconclusive check: after a fix that worked (or awaits verification), to
    confirm the check now passes; otherwise to follow it up."""
    fix = bundle["active_fix"]
    fixed = bool(fix) and fix["outcome"] in ("applied_success", "applied_pending")
    steps = []
    for check in bundle["checks"]:
        command = f" (`{check['command']}`)" if check["command"] else ""
        showed = f" It showed: {_clause(check['output_summary'])}." if check["output_summary"] else ""
        if check["result"] == "failed" and fixed:
            steps.append(f'Re-run the check "{check["name"]}"{command} and confirm it now passes.{showed}')
        elif check["result"] == "failed":
            steps.append(f'Follow up the failed check "{check["name"]}"{command}.{showed}')
        elif check["result"] == "inconclusive":
            steps.append(f'Re-run the inconclusive check "{check["name"]}"{command} to get a clear result.{showed}')
    return steps


def _next_steps(bundle: dict) -> str:
    fix = bundle["active_fix"]
    steps = [_fix_step(fix)] if fix else []
    steps += _check_steps(bundle)
    suggested = [_clause(fact["text"]) for fact in bundle["facts"] if not fact["confirmed"]]
    if suggested:
        steps.append(f"Confirm or rule out what the assistant suggested: {'; '.join(suggested)}.")
    steps = steps or [GENERIC_NEXT_STEP]
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))


# The offline writer of each kind's sections, in the order of its headings (drafting.kinds).
SECTION_WRITERS = {
    DraftKind.RESOLUTION_NOTE: _resolution_sections,
    DraftKind.ESCALATION_PACKAGE: _escalation_sections,
}
