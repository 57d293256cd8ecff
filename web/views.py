"""The engineer's pages: the session list, a new session, and the session workspace with its regions
(the wrap-up area's views are in `web.wrapup`).

Every region is a `{% partialdef %}` of `sessions/workspace.html`. An HTMX request gets the region back;
a plain POST (no JavaScript) is redirected to the workspace, or, when a form has errors, gets the whole
workspace with the errors in place.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.selectors import account_for
from drafting.kinds import DraftKind
from flowpilot.errors import DomainError
from flowpilot.web import add_domain_error, fragment, int_or, render_page, submit, toast_error
from handoff.selectors import latest_handoff
from psa import services as psa_services
from sessions import selectors, services
from sessions.models import DiagnosticCheck, Fact, SuggestedFix
from sessions.selectors import session_for_user
from web import panels
from web.chat import Chat
from web.forms import CheckForm, FactForm, FixForm, OutcomeForm, ScriptForm, SessionDetailsForm, SessionForm

STATUS_FILTERS = {"open": "Open", "resolved": "Resolved", "escalated": "Escalated", "closed": "Closed", "": "All"}
SESSION_CHANGED = "session-changed"  # the preview panel listens for it to show its stale warning
WORKSPACE = "sessions/workspace.html"


@login_required
@require_GET
def home(request):
    """The signed-in engineer's sessions: mine or the whole account's, open or closed, searchable."""
    account = account_for(request.user)
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    status = request.GET.get("status", "open")
    status = status if status in STATUS_FILTERS else "open"
    query = request.GET.get("q", "")[:200]
    sessions = []
    if account is not None:
        sessions = selectors.session_list(
            account=account,
            user=request.user if scope == "mine" else None,
            status=status,
            query=query,
        )[:100]
    context = {
        "account": account,
        "sessions": sessions,
        "scope": scope,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "query": query,
    }
    return render_page(request, "sessions/home.html", context, partial="results")


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    """A new session; "Import from PSA" fills the title and intake from the ticket's summary."""
    account = account_for(request.user)
    if account is None:
        return redirect("home")
    has_psa = psa_services.connection_for(account) is not None
    importing = "import" in request.POST
    form = SessionForm(request.POST or None, importing=importing)
    imported = None
    if request.method == "POST" and form.is_valid():
        if importing:
            form, imported = _imported(form, account)
        else:
            try:
                session = services.session_create(
                    account=account,
                    user=request.user,
                    title=form.cleaned_data["title"].strip(),
                    intake_text=form.cleaned_data["intake_text"],
                    psa_ticket_id=form.cleaned_data["psa_ticket_id"],
                )
            except DomainError as exc:  # another open session works the ticket: the error links to it
                add_domain_error(form, exc)
            else:
                return redirect("workspace", session_id=session.pk)
    context = {"form": form, "has_psa": has_psa, "imported": imported}
    return render_page(request, "sessions/new.html", context, partial="session-form")


def _imported(form: SessionForm, account) -> tuple[SessionForm, services.TicketImport | None]:
    """The form again, filled from the ticket, with what the engineer should know before starting; or with
    the PSA's answer in plain words on the ticket field."""
    try:
        imported = services.ticket_import(
            account=account,
            ticket_id=form.cleaned_data["psa_ticket_id"],
            title=form.cleaned_data["title"],
            intake_text=form.cleaned_data["intake_text"],
        )
    except DomainError as exc:
        form.add_error("psa_ticket_id", exc.message)
        return form, None
    initial = {"title": imported.title, "psa_ticket_id": imported.ticket_id, "intake_text": imported.intake_text}
    return SessionForm(initial=initial), imported


# The workspace


def workspace_context(request, session, **overrides) -> dict:
    """Everything `sessions/workspace.html` reads; `overrides` carry bound forms with their errors, or the
    handoff as the caller already read it."""
    fix = session.active_fixes[0] if session.active_fixes else None
    templates = list(selectors.template_list(account=session.account))
    chosen = next((t for t in templates if t.slug == request.GET.get("template")), None)
    handoff = overrides.pop("handoff", None) or latest_handoff(session)
    open_kind = panels.kind_to_open(session=session, requested=request.GET.get("preview", ""), handoff=handoff)
    context = {
        "session": session,
        "fix": fix,
        "details_form": SessionDetailsForm.for_session(session),
        "fact_form": FactForm(),
        "check_form": CheckForm(),
        "fix_form": FixForm(),
        "outcome_form": OutcomeForm(initial={"outcome": fix.outcome, "outcome_notes": fix.outcome_notes})
        if fix
        else None,
        **_list_state(request, session, "fact", session.live_facts, form_for=_fact_form),
        **_list_state(request, session, "check", session.live_checks, form_for=_check_form),
        "templates": templates,
        "script_template": chosen,
        "script_form": ScriptForm(template=chosen) if chosen else None,
        "handoff": handoff,
        "handoff_poll_seconds": settings.FLOWPILOT_HANDOFF_POLL_SECONDS,
        "panel": panels.preview_panel(session=session, kind=open_kind) if open_kind and session.is_open else None,
        "editing_draft": request.GET.get("mode") == "edit",
        "draft_kinds": list(DraftKind),
        "chat": Chat(session),
        "swap_oob": False,  # regions answered beside another (an accepted proposal) swap themselves out of band
    }
    context.update(overrides)
    return context


# The facts and checks lists share their ways: a row is `fact` or `check` (its partials `fact-row` and
# `fact-edit`, its URLs, `?edit_fact=` and `?undo_fact=`), its list the region `facts` or `checks`.
LISTS = {"fact": Fact, "check": DiagnosticCheck}


def _list_state(request, session, kind: str, rows: list, *, form_for) -> dict:
    """A list as the URL asks for it without JavaScript: one row open in its editor (`?edit_fact=`), or the
    row just deleted back in its place with its Undo (`?undo_fact=`)."""
    editing_id = int_or(request.GET.get(f"edit_{kind}")) if session.is_open else None
    editing = next((row for row in rows if row.pk == editing_id), None)
    undo_id = int_or(request.GET.get(f"undo_{kind}")) if session.is_open else None
    deleted = undo_id and LISTS[kind].objects.filter(session=session, deleted_at__isnull=False, pk=undo_id).first()
    return {
        f"{kind}_rows": sorted([*rows, deleted], key=lambda row: (row.created_at, row.pk)) if deleted else rows,
        f"editing_{kind}_id": editing.pk if editing else None,
        f"{kind}_edit_form": form_for(editing) if editing else None,
    }


def _fact_form(fact: Fact, data=None) -> FactForm:
    """The inline editor's form: ids of its own, so it can sit beside the add form."""
    initial = {"text": fact.text, "source_type": fact.source_type, "source_summary": fact.source_summary}
    form = FactForm(data, initial=initial, auto_id=f"fact{fact.pk}_%s")
    form.focus("text")
    return form


def _check_form(check: DiagnosticCheck, data=None) -> CheckForm:
    initial = {field: getattr(check, field) for field in services.CHECK_FIELDS}
    form = CheckForm(data, initial=initial, auto_id=f"check{check.pk}_%s")
    form.focus("name")
    return form


@login_required
@require_GET
def workspace(request, session_id):
    session = session_for_user(request.user, session_id, detail=True)
    return render(request, WORKSPACE, workspace_context(request, session))


def _region(
    request,
    session_id,
    region: str,
    *,
    changed: bool,
    shown_once: dict | None = None,
    again: dict | None = None,
    **forms,
):
    """The answer to a write in one region: the fresh region for HTMX (telling the page the session
    changed), a redirect for a plain POST, or the whole workspace with the form's errors.

    `shown_once` is what exists only in this response (a generated script with its secrets): a plain
    POST then gets the page itself, since a redirect would lose it. `again` is what the fresh region shows
    after a write instead of the defaults (an add form kept open for the next one).
    """
    if changed and not request.htmx and shown_once is None:
        return redirect(f"{reverse('workspace', args=[session_id])}#{region}")
    session = session_for_user(request.user, session_id, detail=True)
    if not changed and not session.is_open:  # its forms are gone from the page: say why nothing happened
        messages.error(request, session.closed_reason)
    context = workspace_context(request, session, **({**(again or {}), **(shown_once or {})} if changed else forms))
    if not request.htmx:
        return render(request, WORKSPACE, context, status=200 if changed else 400)
    response = fragment(request, f"{WORKSPACE}#{region}", context)
    if changed:
        trigger_client_event(response, SESSION_CHANGED)
    return response


@login_required
@require_POST
def session_edit(request, session_id):
    """The header's "Edit details": title, ticket, summary, intake. The whole workspace answers, since the
    ticket decides what the wrap-up area says."""
    session = session_for_user(request.user, session_id)
    form = SessionDetailsForm.for_session(session, request.POST)

    def save(**data):
        for warning in services.session_edit(session=session, changes=data):
            messages.warning(request, warning)

    changed = submit(form, save)
    return _region(request, session_id, "workspace", changed=changed, details_form=form)


@login_required
@require_POST
def fact_add(request, session_id):
    session = session_for_user(request.user, session_id)
    form = FactForm(request.POST)
    changed = submit(form, lambda **data: services.fact_add(session=session, user=request.user, **data))
    again = {"fact_form": FactForm().ready_for_another()}
    return _region(request, session_id, "facts", changed=changed, again=again, fact_form=form)


def _fact(session, fact_id, *, deleted_too: bool = False) -> Fact:
    facts = Fact.objects.filter(session=session)
    return get_object_or_404(facts if deleted_too else facts.live(), pk=fact_id)


@login_required
@require_GET
def fact_row(request, session_id, fact_id):
    """One fact as shown (what "Cancel" swaps back in)."""
    session = session_for_user(request.user, session_id)
    return _row(request, session, _fact(session, fact_id))


@login_required
@require_http_methods(["GET", "POST"])
def fact_edit(request, session_id, fact_id):
    """The inline editor of one fact; saving swaps the row back in."""
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id)
    return _edit_in_place(
        request,
        session,
        fact,
        form_for=_fact_form,
        save=lambda changes: services.fact_update(fact=fact, changes=changes),
    )


@login_required
@require_POST
def fact_delete(request, session_id, fact_id):
    """Delete softly: the row becomes "Fact deleted" with its Undo, until the page is reloaded or it is dismissed."""
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id)
    return _delete_or_restore(request, session, fact, lambda: services.fact_delete(fact=fact))


@login_required
@require_POST
def fact_restore(request, session_id, fact_id):
    """The Undo of a delete: the fact is back in its place (a fact not deleted stays as it is)."""
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id, deleted_too=True)
    return _delete_or_restore(request, session, fact, lambda: services.fact_restore(fact=fact))


@login_required
@require_POST
def check_add(request, session_id):
    session = session_for_user(request.user, session_id)
    form = CheckForm(request.POST)
    changed = submit(form, lambda **data: services.check_record(session=session, **data))
    again = {"check_form": CheckForm().ready_for_another()}
    return _region(request, session_id, "checks", changed=changed, again=again, check_form=form)


def _check(session, check_id, *, deleted_too: bool = False) -> DiagnosticCheck:
    checks = DiagnosticCheck.objects.filter(session=session)
    return get_object_or_404(checks if deleted_too else checks.live(), pk=check_id)


@login_required
@require_GET
def check_row(request, session_id, check_id):
    """One check as shown (what "Cancel" swaps back in)."""
    session = session_for_user(request.user, session_id)
    return _row(request, session, _check(session, check_id))


@login_required
@require_http_methods(["GET", "POST"])
def check_edit(request, session_id, check_id):
    """The inline editor of one check; saving swaps the row back in."""
    session = session_for_user(request.user, session_id)
    check = _check(session, check_id)
    return _edit_in_place(
        request,
        session,
        check,
        form_for=_check_form,
        save=lambda changes: services.check_update(check=check, changes=changes),
    )


@login_required
@require_POST
def check_delete(request, session_id, check_id):
    """Delete softly, as a fact: the row becomes "Check deleted" with its Undo."""
    session = session_for_user(request.user, session_id)
    check = _check(session, check_id)
    return _delete_or_restore(request, session, check, lambda: services.check_delete(check=check))


@login_required
@require_POST
def check_restore(request, session_id, check_id):
    session = session_for_user(request.user, session_id)
    check = _check(session, check_id, deleted_too=True)
    return _delete_or_restore(request, session, check, lambda: services.check_restore(check=check))


# One row of the facts or checks list, answered in place


def _kind(row) -> str:
    return "fact" if isinstance(row, Fact) else "check"


def _at_row(session, row, query: str = "") -> str:
    return f"{reverse('workspace', args=[session.pk])}{query}#{_kind(row)}-{row.pk}"


def _row(request, session, row, *, changed: bool = False, count: bool = False) -> HttpResponse:
    """The row as shown, for HTMX, the focus inside it (a deleted row is its "deleted" notice with its Undo);
    `count` sends its list's live count too, out of band. A plain GET goes to the row in the workspace."""
    if not request.htmx:
        return redirect(_at_row(session, row))
    kind = _kind(row)
    context = {"session": session, kind: row, "focus_row": True}
    also = ()
    if count:
        context.update(list=f"{kind}s", count=LISTS[kind].objects.live().filter(session=session).count(), oob=True)
        also = (f"{WORKSPACE}#list-count",)
    response = fragment(request, f"{WORKSPACE}#{kind}-row", context, also=also)
    if changed:
        trigger_client_event(response, SESSION_CHANGED)
    return response


def _edit_in_place(request, session, row, *, form_for, save) -> HttpResponse:
    """GET: the row's inline editor (without JavaScript, the workspace with the editor open at the row).
    POST: save; the row comes back, or the editor with its errors (the whole page, without JavaScript)."""
    kind = _kind(row)
    if request.method == "GET":
        if not request.htmx:
            return redirect(_at_row(session, row, f"?edit_{kind}={row.pk}"))
        if not session.is_open:
            messages.error(request, session.closed_reason)
            return _row(request, session, row)
        return fragment(request, f"{WORKSPACE}#{kind}-edit", {"session": session, kind: row, "form": form_for(row)})

    form = form_for(row, request.POST)
    changed = submit(form, lambda **data: save(data))
    if not request.htmx:
        if changed:
            return redirect(_at_row(session, row))
        full = session_for_user(request.user, session.pk, detail=True)
        context = workspace_context(request, full, **{f"editing_{kind}_id": row.pk, f"{kind}_edit_form": form})
        return render(request, WORKSPACE, context, status=400)
    if not changed:
        return fragment(request, f"{WORKSPACE}#{kind}-edit", {"session": session, kind: row, "form": form})
    return _row(request, session, row, changed=True)


def _delete_or_restore(request, session, row, action) -> HttpResponse:
    """Delete a row softly, or undo that. HTMX gets the row back in place: its "deleted" notice with the
    Undo, or the row itself again. Without JavaScript the workspace shows the same at the row (a deleted
    one through `?undo_fact=`), or, refused, why."""
    try:
        action()
    except DomainError as exc:
        toast_error(request, exc)
        if request.htmx:
            return _row(request, session, row)
        full = session_for_user(request.user, session.pk, detail=True)
        return render(request, WORKSPACE, workspace_context(request, full), status=400)
    if not request.htmx:
        return redirect(_at_row(session, row, f"?undo_{_kind(row)}={row.pk}" if row.deleted_at else ""))
    return _row(request, session, row, changed=True, count=True)


@login_required
@require_POST
def fix_set(request, session_id):
    """Set the suggested fix, superseding the current one."""
    session = session_for_user(request.user, session_id)
    form = FixForm(request.POST)
    changed = submit(form, lambda **data: services.fix_set(session=session, user=request.user, **data))
    return _region(request, session_id, "fix", changed=changed, fix_form=form)


@login_required
@require_POST
def fix_outcome(request, session_id, fix_id):
    session = session_for_user(request.user, session_id)
    fix = get_object_or_404(SuggestedFix.objects.filter(session=session), pk=fix_id)
    form = OutcomeForm(request.POST)
    changed = submit(form, lambda **data: services.fix_record_outcome(fix=fix, **data))
    return _region(request, session_id, "fix", changed=changed, outcome_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def scripts(request, session_id):
    """GET: the parameter form of the chosen template. POST: generate the script and show it once."""
    session = session_for_user(request.user, session_id)
    slug = request.GET.get("template") if request.method == "GET" else request.POST.get("template")
    template = selectors.template_by_slug(account=session.account, slug=slug)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{reverse('workspace', args=[session_id])}?{urlencode({'template': slug or ''})}#scripts")
        form = ScriptForm(template=template) if template else None
        return fragment(
            request, f"{WORKSPACE}#script-form", {"session": session, "script_template": template, "script_form": form}
        )

    if template is None:
        messages.error(request, "Choose a script template first.")
        return _region(request, session_id, "scripts", changed=False)
    form = ScriptForm(request.POST, template=template)
    generated = {}

    def generate(**values):
        script, generation = services.script_generate(
            session=session, user=request.user, template=template, parameters=values
        )
        generated.update(script=script.script, generation=generation)

    changed = submit(form, generate)
    # The rendered script goes to this response only: it is never stored with its secrets.
    shown_once = {"script_template": template, "script_form": ScriptForm(template=template), "script_result": generated}
    return _region(
        request,
        session_id,
        "scripts",
        changed=changed,
        shown_once=shown_once if changed else None,
        script_template=template,
        script_form=form,
    )


@login_required
@require_GET
def ticket_status(request, session_id):
    """The linked ticket as the PSA sees it now (loaded after the page, so a slow PSA never slows it)."""
    session = session_for_user(request.user, session_id)
    ticket, problem = None, ""
    if session.psa_ticket_id:
        try:
            ticket = psa_services.ticket_lookup(account=session.account, ticket_id=session.psa_ticket_id)
        except DomainError as exc:
            problem = exc.message
    return render(request, f"{WORKSPACE}#ticket-status", {"session": session, "ticket": ticket, "problem": problem})


@login_required
@require_GET
def ticket_context(request, session_id):
    """The "On the ticket" region: what the linked ticket says (company, contact, description, recent notes),
    loaded after the page so a slow PSA never slows it. Without JavaScript, the whole workspace with it in place."""
    session = session_for_user(request.user, session_id, detail=not request.htmx)
    region = _ticket_context_region(session)
    if not request.htmx:
        return render(request, WORKSPACE, workspace_context(request, session, ticket_context_open=True, **region))
    return fragment(request, f"{WORKSPACE}#ticket-context", {"session": session, **region})


def _ticket_context_region(session) -> dict:
    ticket, problem = None, ""
    if session.psa_ticket_id:
        try:
            ticket = psa_services.ticket_context(account=session.account, ticket_id=session.psa_ticket_id)
        except DomainError as exc:
            problem = exc.message
    return {"ticket_context": ticket, "ticket_context_problem": problem, "ticket_context_loaded": True}


@login_required
@require_POST
def ticket_note_fact(request, session_id):
    """The ticket's description or one of its recent notes as a fact ("Add as fact"): the facts region answers."""
    session = session_for_user(request.user, session_id)
    try:
        fact = services.fact_from_ticket_note(
            session=session, user=request.user, note_id=int_or(request.POST.get("note"), 0)
        )
    except DomainError as exc:
        if session.is_open:  # a closed session's answer says why already
            toast_error(request, exc)
        return _region(request, session_id, "facts", changed=False)
    messages.success(request, f"Added to what we know: {fact.source_summary}.")
    return _region(request, session_id, "facts", changed=True)
