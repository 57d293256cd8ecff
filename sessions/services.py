"""Every write to the session domain. Each write that feeds a draft bumps `state_version` once,
atomically in the database, inside the same transaction as the write."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Account
from accounts.services import audit_record
from flowpilot.errors import DomainError, InvalidInput, NotFound
from psa import services as psa_services
from psa.providers.base import TicketContext
from sessions.errors import TicketInUse
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix
from sessions.scripts import RenderedScript, render_script, validate_template
from sessions.selectors import open_sessions_on_ticket, template_by_slug
from sessions.signals import state_changed

SESSION_FIELDS = ("title", "problem_summary", "problem_domain", "intake_text", "psa_ticket_id")
FACT_FIELDS = ("text", "source_type", "source_summary")
CHECK_FIELDS = ("name", "command", "result", "output_summary")


def _lock_open_session(session: Session) -> Session:
    """Lock the session row for this transaction; writes to a closed session are refused."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    locked.ensure_open()
    return locked


def _bump_state_version(session: Session) -> None:
    Session.objects.filter(pk=session.pk).update(state_version=F("state_version") + 1, updated_at=timezone.now())
    session.refresh_from_db(fields=["state_version", "updated_at"])
    session_id, state_version = session.pk, session.state_version
    transaction.on_commit(
        lambda: state_changed.send(sender=Session, session_id=session_id, state_version=state_version)
    )


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
    """A new open session; refused with `ticket_in_use` while another open session works its ticket."""
    if psa_ticket_id is not None:
        ensure_ticket_free(account=account, ticket_id=psa_ticket_id)
    try:
        with transaction.atomic():
            return Session.objects.create(
                account=account,
                created_by=user,
                title=title,
                problem_summary=problem_summary,
                problem_domain=problem_domain,
                intake_content={"text": intake_text},
                psa_ticket_id=psa_ticket_id,
            )
    except IntegrityError:  # the database constraint caught a concurrent create the check above did not see
        if psa_ticket_id is not None:
            ensure_ticket_free(account=account, ticket_id=psa_ticket_id)
        raise


def ensure_ticket_free(*, account: Account, ticket_id: int, session: Session | None = None) -> None:
    """One open session per ticket (DESIGN §4): raise TicketInUse naming the one that works it."""
    others = open_sessions_on_ticket(account=account, ticket_id=ticket_id)
    if session is not None:
        others = others.exclude(pk=session.pk)
    other = others.order_by("created_at").first()
    if other is not None:
        raise TicketInUse(other)


@transaction.atomic
def session_update(*, session: Session, changes: dict) -> Session:
    """Edit the session's own fields; bumps state_version only when something really changed."""
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown session fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    locked = _lock_open_session(session)
    ticket_id = changes.get("psa_ticket_id")
    if ticket_id is not None and ticket_id != locked.psa_ticket_id:
        ensure_ticket_free(account=locked.account, ticket_id=ticket_id, session=locked)
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
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:  # a session created on that ticket meanwhile
            if ticket_id is not None:
                ensure_ticket_free(account=locked.account, ticket_id=ticket_id, session=locked)
            raise
        _bump_state_version(locked)
    return locked


def session_edit(*, session: Session, changes: dict) -> list[str]:
    """Edit the session as an engineer does, on the page or through the API: a newly linked ticket is
    checked with the PSA first. Returns what the engineer should know (warnings)."""
    ticket_id = changes.get("psa_ticket_id")
    warnings = []
    if ticket_id not in (None, session.psa_ticket_id):
        ensure_ticket_free(account=session.account, ticket_id=ticket_id, session=session)
        warnings += ticket_link_check(account=session.account, ticket_id=ticket_id)
    session_update(session=session, changes=changes)
    return warnings


def ticket_link_check(*, account: Account, ticket_id: int) -> list[str]:
    """A ticket the PSA says does not exist is refused (`psa_ticket_not_found`). When the PSA can't answer
    it may be linked, with a warning: the engineer may be cut off from the PSA, not wrong. Without a usable
    PSA connection nothing is checked."""
    try:
        psa_services.ticket_lookup(account=account, ticket_id=ticket_id)
    except psa_services.PsaNotConfigured:
        return []
    except DomainError as exc:
        if exc.code == "psa_ticket_not_found":  # bad input, not a conflict: a 400 naming the ticket field
            raise InvalidInput(exc.message, code=exc.code, field="psa_ticket_id") from None
        return [f"Ticket #{ticket_id} is linked, but the PSA could not confirm it: {exc.message}"]
    return []


@dataclass(frozen=True)
class TicketImport:
    """A new session's fields filled from a PSA ticket, and what the engineer should know before starting."""

    ticket_id: int
    title: str
    intake_text: str
    notices: list[str]
    in_use_by: Session | None = None  # the open session that works the ticket: starting another is refused


def ticket_import(*, account: Account, ticket_id: int, title: str = "", intake_text: str = "") -> TicketImport:
    """Read the ticket from the PSA (a DomainError in plain words when it can't be read). A title already
    typed is kept; the engineer's intake comes first, then the ticket: its summary, who reported it and how
    urgent it is, then its description as it was reported. Importing again adds nothing the intake holds."""
    ticket = psa_services.ticket_context(account=account, ticket_id=ticket_id)
    imported = _intake_from_ticket(ticket)
    intake_text = intake_text.strip()
    if imported in intake_text:
        imported = ""
    notices = []
    if ticket.closed:
        status = f" (status “{ticket.status_name}”)" if ticket.status_name else ""
        notices.append(
            f"Ticket #{ticket.id} is closed in the PSA{status}: posting would add a note to a closed ticket."
        )
    if ticket.description is None:
        notices.append(f"Ticket #{ticket.id} has no description in the PSA: the intake holds its summary only.")
    return TicketImport(
        ticket_id=ticket.id,
        title=title.strip() or ticket.summary[:200],
        intake_text="\n\n".join(part for part in (intake_text, imported) if part),
        notices=notices,
        in_use_by=open_sessions_on_ticket(account=account, ticket_id=ticket.id).order_by("created_at").first(),
    )


def _intake_from_ticket(ticket: TicketContext) -> str:
    """The summary line, a short header of who and how urgent (not the status: the workspace header shows it
    live), and the description, line breaks kept."""
    header = (
        ("Company", ticket.company_name),
        ("Contact", ticket.contact_name),
        ("Priority", ticket.priority_name),
        ("Board", ticket.board_name),
    )
    lines = [f"Imported from ticket #{ticket.id}: {ticket.summary}"]
    lines += [f"{label}: {value}" for label, value in header if value]
    text = "\n".join(lines)
    return f"{text}\n\n{ticket.description.text}" if ticket.description else text


def fact_from_ticket_note(*, session: Session, user, note_id: int) -> Fact:
    """The linked ticket's description or one of its recent notes (as the workspace shows them) as a fact
    from the PSA, saying whose note it is and when it was written. A DomainError in plain words when the
    PSA can't answer or the note is no longer among them."""
    if session.psa_ticket_id is None:
        raise InvalidInput("This session has no linked ticket to take a note from.", field="note")
    ticket = psa_services.ticket_context(account=session.account, ticket_id=session.psa_ticket_id)
    note = ticket.note(note_id)
    if note is None:
        raise InvalidInput(
            f"That note is no longer among ticket #{ticket.id}'s recent notes: reload the page and pick it again.",
            field="note",
        )
    source = f"Ticket #{ticket.id} {'description' if note == ticket.description else 'note'}"
    if note.author:
        source += f" by {note.author}"
    if note.created_at:
        source += f", {date_format(timezone.localtime(note.created_at), 'j M')}"
    return fact_add(
        session=session, user=user, text=note.text, source_type=Fact.SourceType.PSA, source_summary=source[:500]
    )


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
    return _record_edit(fact, changes=changes, fields=FACT_FIELDS, what="fact")


@transaction.atomic
def fact_delete(*, fact: Fact) -> None:
    """Soft delete: the fact stays for the record (and its Undo) but never reaches a draft again."""
    _record_delete(fact)


@transaction.atomic
def fact_restore(*, fact: Fact) -> Fact:
    """Undo a delete: the fact reaches drafts again, where it was in the list."""
    return _record_restore(fact)


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


@transaction.atomic
def check_update(*, check: DiagnosticCheck, changes: dict) -> DiagnosticCheck:
    return _record_edit(check, changes=changes, fields=CHECK_FIELDS, what="check")


@transaction.atomic
def check_delete(*, check: DiagnosticCheck) -> None:
    """Soft delete, as for facts: the check stays for the record but never reaches a draft again."""
    _record_delete(check)


@transaction.atomic
def check_restore(*, check: DiagnosticCheck) -> DiagnosticCheck:
    return _record_restore(check)


# What facts and checks share: an edit, a soft delete and its undo each feed a draft (the caller holds the
# transaction). A closed session refuses all three.


def _lock_record(record: Fact | DiagnosticCheck) -> None:
    """Lock the record's open session, which every write to what it holds waits for, then read the record
    as it is now: a second click on Delete, or an edit racing a delete, finds the first one done."""
    _lock_open_session(record.session)
    record.refresh_from_db()


def _record_edit(record: Fact | DiagnosticCheck, *, changes: dict, fields: tuple, what: str):
    """Change what the record says; `edited_at` and state_version move only when something really changed."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise InvalidInput(f"Unknown {what} fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    _lock_record(record)
    if record.deleted_at is not None:
        raise NotFound(f"This {what} was deleted meanwhile: nothing was changed.", code=f"{what}_deleted")
    changed = [field for field, value in changes.items() if getattr(record, field) != value]
    if changed:
        for field in changed:
            setattr(record, field, changes[field])
        record.edited_at = timezone.now()
        record.save(update_fields=[*changed, "edited_at", "updated_at"])
        _bump_state_version(record.session)
    return record


def _record_delete(record: Fact | DiagnosticCheck) -> None:
    _lock_record(record)
    if record.deleted_at is None:
        record.deleted_at = timezone.now()
        record.save(update_fields=["deleted_at", "updated_at"])
        _bump_state_version(record.session)


def _record_restore(record: Fact | DiagnosticCheck):
    _lock_record(record)
    if record.deleted_at is not None:
        record.deleted_at = None
        record.save(update_fields=["deleted_at", "updated_at"])
        _bump_state_version(record.session)
    return record


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
    actor=None,
) -> ScriptTemplate:
    parameters_schema = parameters_schema if parameters_schema is not None else {"parameters": []}
    validate_template(body=body, parameters_schema=parameters_schema)
    if template_by_slug(account=account, slug=slug) is not None:
        raise InvalidInput(f"A template with the slug {slug!r} already exists.", field="slug")
    try:
        with transaction.atomic():
            template = ScriptTemplate.objects.create(
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
    audit_record(account=account, actor=actor, action="template.created", target=template.slug, details={"name": name})
    return template


TEMPLATE_FIELDS = ("name", "slug", "language", "description", "body", "parameters_schema")


@transaction.atomic
def template_update(*, template: ScriptTemplate, changes: dict, actor=None) -> ScriptTemplate:
    """Change a template's fields (`TEMPLATE_FIELDS`); the audit trail names the fields that changed."""
    unknown = sorted(set(changes) - set(TEMPLATE_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown template field {', '.join(unknown)}.", field=unknown[0])
    locked = ScriptTemplate.objects.select_for_update().get(pk=template.pk)
    changed = sorted(name for name, value in changes.items() if getattr(locked, name) != value)
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    validate_template(body=locked.body, parameters_schema=locked.parameters_schema)
    clash = ScriptTemplate.objects.filter(account=locked.account, slug=locked.slug).exclude(pk=locked.pk)
    if "slug" in changed and clash.exists():
        raise InvalidInput(f"A template with the slug {locked.slug!r} already exists.", field="slug")
    locked.save()
    audit_record(
        account=locked.account, actor=actor, action="template.changed", target=locked.slug, details={"changed": changed}
    )
    return locked


@transaction.atomic
def template_delete(*, template: ScriptTemplate, actor=None) -> None:
    """Delete a template. Scripts already generated from it keep its name (`ScriptGeneration.template_name`)."""
    locked = ScriptTemplate.objects.select_for_update().filter(pk=template.pk).first()
    if locked is None:  # already deleted, by someone else a moment ago
        return
    audit_record(
        account=locked.account,
        actor=actor,
        action="template.deleted",
        target=locked.slug,
        details={"name": locked.name},
    )
    locked.delete()


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
