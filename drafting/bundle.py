"""The drafting input: everything a session knows, as plain data, with secrets redacted.

Loading is one function with a fixed number of queries; building is pure, so prompts and the
offline drafter are tested without a database.
"""

from django.db.models import Prefetch

from llm.redaction import redact_everywhere
from sessions.models import Fact, Session, SuggestedFix
from sessions.selectors import session_contents

# A fact's source in words, as the drafts name it. Facts the assistant suggested are not confirmed: the
# engineer accepted them as leads, and neither document presents them as established.
SOURCE_IN_WORDS = {
    Fact.SourceType.ENGINEER: "from the engineer",
    Fact.SourceType.AI: "suggested by the assistant",
    Fact.SourceType.DIAGNOSTIC_CHECK: "from a diagnostic check",
    Fact.SourceType.PSA: "from the PSA ticket",
    Fact.SourceType.SCRIPT_OUTPUT: "from script output",
}
UNCONFIRMED_SOURCES = {Fact.SourceType.AI}

# Earlier fixes that say something about the work; proposed-then-replaced or dismissed ones do not.
_TRIED_OUTCOMES = {
    SuggestedFix.Outcome.APPLIED_FAILED,
    SuggestedFix.Outcome.APPLIED_PARTIAL,
    SuggestedFix.Outcome.APPLIED_SUCCESS,
    SuggestedFix.Outcome.APPLIED_PENDING,
}


def load_session_for_drafting(session_id) -> Session:
    """The session with its live facts and checks, script generations and fixes (newest first)."""
    fixes = Prefetch("fixes", queryset=SuggestedFix.objects.all(), to_attr="all_fixes")
    return (
        Session.objects.select_related("account__settings")
        .prefetch_related(*session_contents(), fixes)
        .get(pk=session_id)
    )


def _fix_data(fix: SuggestedFix) -> dict:
    return {
        "title": fix.title,
        "description": fix.description,
        "confidence_pct": fix.confidence_pct,
        "outcome": fix.outcome,
        "outcome_notes": fix.outcome_notes,
    }


def _scripts(generations) -> list[dict]:
    """One entry per template, in the order first generated: how often, with which parameters each time,
    and the script as last rendered."""
    scripts: dict[tuple[str, str], dict] = {}
    for generation in generations:
        script = scripts.setdefault(
            (generation.template_name, generation.language),
            {"template": generation.template_name, "language": generation.language, "parameters_used": []},
        )
        script["parameters_used"].append(generation.parameters_used)
        script["times_generated"] = len(script["parameters_used"])
        script["script"] = generation.redacted_script
    return list(scripts.values())


def build_bundle(session: Session) -> dict:
    """The bundle for a session loaded by `load_session_for_drafting`; every string is redacted."""
    fixes = session.all_fixes
    active = next((fix for fix in fixes if fix.is_active), None)
    earlier = [fix for fix in fixes if not fix.is_active and fix.outcome in _TRIED_OUTCOMES]
    bundle = {
        "state_version": session.state_version,
        "ticket": session.ticket_ref or None,
        "title": session.title,
        "problem_summary": session.problem_summary,
        "problem_domain": session.problem_domain,
        "intake": session.intake_text,
        "facts": [
            {
                "text": fact.text,
                "source": SOURCE_IN_WORDS[fact.source_type],
                "confirmed": fact.source_type not in UNCONFIRMED_SOURCES,
                "source_summary": fact.source_summary,
            }
            for fact in session.live_facts
        ],
        "checks": [
            {
                "name": check.name,
                "command": check.command,
                "result": check.result,
                "output_summary": check.output_summary,
            }
            for check in session.live_checks
        ],
        "scripts": _scripts(session.script_generations.all()),
        "active_fix": _fix_data(active) if active else None,
        "earlier_fixes": [_fix_data(fix) for fix in reversed(earlier)],
    }
    return redact_everywhere(bundle)
