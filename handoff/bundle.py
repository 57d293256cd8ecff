"""The drafting input: everything a session knows, as plain data, with secrets redacted.

Loading is one function with a fixed number of queries; building is pure, so prompts and the
offline drafter are tested without a database.
"""

from django.db.models import Prefetch

from handoff.redaction import redact_everywhere
from sessions.models import Session, SuggestedFix
from sessions.selectors import session_contents

# Earlier fixes that say something about the work; proposed-then-replaced or dismissed ones do not.
_TRIED_OUTCOMES = {
    SuggestedFix.Outcome.APPLIED_FAILED,
    SuggestedFix.Outcome.APPLIED_PARTIAL,
    SuggestedFix.Outcome.APPLIED_SUCCESS,
    SuggestedFix.Outcome.APPLIED_PENDING,
}


def load_session_for_drafting(session_id) -> Session:
    """The session with its live facts, checks, script generations and fixes (newest first)."""
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
            {"text": fact.text, "source": fact.source_type, "source_summary": fact.source_summary}
            for fact in session.live_facts
        ],
        "checks": [
            {
                "name": check.name,
                "command": check.command,
                "result": check.result,
                "output_summary": check.output_summary,
            }
            for check in session.checks.all()
        ],
        "scripts": [
            {
                "template": generation.template_name,
                "language": generation.language,
                "parameters": generation.parameters_used,
                "script": generation.redacted_script,
            }
            for generation in session.script_generations.all()
        ],
        "active_fix": _fix_data(active) if active else None,
        "earlier_fixes": [_fix_data(fix) for fix in reversed(earlier)],
    }
    return redact_everywhere(bundle)
