"""Every write to the session domain. Each write that feeds a draft bumps `state_version` once,
atomically in the database, inside the same transaction as the write."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from flowpilot.errors import DomainError, InvalidInput
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix
from sessions.scripts import RenderedScript, render_script, validate_template

SESSION_FIELDS = ("title", "problem_summary", "problem_domain", "intake_text", "psa_ticket_id")
FACT_FIELDS = ("text", "source_type", "source_summary")


def _lock_open_session(session: Session) -> Session:
    """Lock the session row for this transaction; writes to a closed session are refused."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    locked.ensure_open()
    return locked


def _bump_state_version(session: Session) -> None:
    Session.objects.filter(pk=session.pk).update(state_version=F("state_version") + 1, updated_at=timezone.now())
    session.refresh_from_db(fields=["state_version", "updated_at"])


# Sessions


def session_create(
    *,
    account: Account,
    user,
    title: str,
    problem_summary: str = "",
    problem_domain: str = "",
    intake_text: str = "",
    psa_ticket_id: int | None = None,
) -> Session:
    return Session.objects.create(
        account=account,
        created_by=user,
        title=title,
        problem_summary=problem_summary,
        problem_domain=problem_domain,
        intake_content={"text": intake_text},
        psa_ticket_id=psa_ticket_id,
    )


@transaction.atomic
def session_update(*, session: Session, changes: dict) -> Session:
    """Edit the session's own fields; bumps state_version only when something really changed."""
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown session fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    locked = _lock_open_session(session)
    changed = []
    for field, value in changes.items():
        if field == "intake_text":
            if locked.intake_text != value:
                locked.intake_content = {**(locked.intake_content or {}), "text": value}
                changed.append("intake_content")
        elif getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        _bump_state_version(locked)
    return locked


# Facts


@transaction.atomic
def fact_add(
    *, session: Session, user, text: str, source_type: str = Fact.SourceType.ENGINEER, source_summary: str = ""
) -> Fact:
    locked = _lock_open_session(session)
    fact = Fact.objects.create(
        session=locked, created_by=user, text=text, source_type=source_type, source_summary=source_summary
    )
    _bump_state_version(session)
    return fact


@transaction.atomic
def fact_update(*, fact: Fact, changes: dict) -> Fact:
    unknown = set(changes) - set(FACT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fact fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    _lock_open_session(fact.session)
    changed = [field for field, value in changes.items() if getattr(fact, field) != value]
    if changed:
        for field in changed:
            setattr(fact, field, changes[field])
        fact.save(update_fields=[*changed, "updated_at"])
        _bump_state_version(fact.session)
    return fact


@transaction.atomic
def fact_delete(*, fact: Fact) -> None:
    """Soft delete: the fact stays for the record but never reaches a draft again."""
    _lock_open_session(fact.session)
    if fact.deleted_at is None:
        fact.deleted_at = timezone.now()
        fact.save(update_fields=["deleted_at", "updated_at"])
        _bump_state_version(fact.session)


# Diagnostic checks


@transaction.atomic
def check_record(
    *, session: Session, name: str, result: str, command: str = "", output_summary: str = ""
) -> DiagnosticCheck:
    _lock_open_session(session)
    check = DiagnosticCheck.objects.create(
        session=session, name=name, result=result, command=command, output_summary=output_summary
    )
    _bump_state_version(session)
    return check


# Suggested fixes


@transaction.atomic
def fix_set(*, session: Session, user, title: str, description: str = "", confidence_pct: int) -> SuggestedFix:
    """Make this the session's active fix; the previous active fix (if any) is superseded."""
    _lock_open_session(session)
    SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).update(superseded_at=timezone.now())
    fix = SuggestedFix.objects.create(
        session=session, created_by=user, title=title, description=description, confidence_pct=confidence_pct
    )
    _bump_state_version(session)
    return fix


@transaction.atomic
def fix_record_outcome(*, fix: SuggestedFix, outcome: str, outcome_notes: str = "") -> SuggestedFix:
    _lock_open_session(fix.session)
    fix.refresh_from_db()
    if not fix.is_active:
        raise DomainError("This fix was superseded by a newer one; record the outcome there.", code="fix_superseded")
    if outcome == SuggestedFix.Outcome.APPLIED_PARTIAL and not outcome_notes.strip():
        raise InvalidInput("Notes are required when a fix only partly worked.", field="outcome_notes")
    if (fix.outcome, fix.outcome_notes) != (outcome, outcome_notes):
        fix.outcome, fix.outcome_notes, fix.outcome_changed_at = outcome, outcome_notes, timezone.now()
        fix.save(update_fields=["outcome", "outcome_notes", "outcome_changed_at"])
        _bump_state_version(fix.session)
    return fix


# Script templates and generations


@transaction.atomic
def template_create(
    *,
    account: Account,
    name: str,
    slug: str,
    body: str,
    language: str = ScriptTemplate.Language.POWERSHELL,
    description: str = "",
    parameters_schema: dict | None = None,
) -> ScriptTemplate:
    parameters_schema = parameters_schema if parameters_schema is not None else {"parameters": []}
    validate_template(body=body, parameters_schema=parameters_schema)
    if ScriptTemplate.objects.filter(account=account, slug=slug).exists():
        raise InvalidInput(f"A template with the slug {slug!r} already exists.", field="slug")
    try:
        with transaction.atomic():
            return ScriptTemplate.objects.create(
                account=account,
                name=name,
                slug=slug,
                language=language,
                description=description,
                body=body,
                parameters_schema=parameters_schema,
            )
    except IntegrityError:  # a concurrent create took the slug
        raise InvalidInput(f"A template with the slug {slug!r} already exists.", field="slug") from None


@transaction.atomic
def script_generate(
    *, session: Session, user, template: ScriptTemplate, parameters
) -> tuple[RenderedScript, ScriptGeneration]:
    """Render the template once for the engineer; store only the redacted parameters and script."""
    if template.account_id != session.account_id:
        raise InvalidInput("Unknown template.", field="template")
    rendered = render_script(
        body=template.body, parameters=template.parameters, values=parameters, language=template.language
    )
    _lock_open_session(session)
    generation = ScriptGeneration.objects.create(
        session=session,
        template=template,
        template_name=template.name,
        language=template.language,
        parameters_used=rendered.parameters_used,
        redacted_script=rendered.redacted_script,
        created_by=user,
    )
    _bump_state_version(session)
    return rendered, generation
