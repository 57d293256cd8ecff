"""The engineer's pages: the session list, a new session, and the session workspace with its regions.

Every region is a `{% partialdef %}` of `sessions/workspace.html`. An HTMX request gets the region back;
a plain POST (no JavaScript) is redirected to the workspace, or, when a form has errors, gets the whole
workspace with the errors in place.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.selectors import account_for
from flowpilot.errors import DomainError
from flowpilot.web import fragment, int_or, render_page, submit, toast_error
from handoff import selectors as handoff_selectors
from psa import services as psa_services
from sessions import selectors, services
from sessions.forms import CheckForm, FactForm, FixForm, OutcomeForm, ScriptForm, SessionDetailsForm, SessionForm
from sessions.models import Fact, ScriptTemplate, SuggestedFix
from sessions.selectors import session_for_user

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
    notices: list[str] = []
    if request.method == "POST" and form.is_valid():
        if importing:
            form, notices = _imported(form, account)
        else:
            session = services.session_create(
                account=account,
                user=request.user,
                title=form.cleaned_data["title"].strip(),
                intake_text=form.cleaned_data["intake_text"],
                psa_ticket_id=form.cleaned_data["psa_ticket_id"],
            )
            return redirect("workspace", session_id=session.pk)
    context = {"form": form, "has_psa": has_psa, "notices": notices}
    return render_page(request, "sessions/new.html", context, partial="session-form")


def _imported(form: SessionForm, account) -> tuple[SessionForm, list[str]]:
    """The form again, filled from the ticket (a title already typed is kept), with what the engineer should
    know before starting; or with the PSA's answer in plain words on the ticket field."""
    ticket_id = form.cleaned_data["psa_ticket_id"]
    try:
        ticket = psa_services.ticket_lookup(account=account, ticket_id=ticket_id)
    except DomainError as exc:
        form.add_error("psa_ticket_id", exc.message)
        return form, []
    intake = f"Imported from ticket #{ticket.id}: {ticket.summary}"
    if ticket.board_name:
        intake += f"\nBoard: {ticket.board_name}"  # not its status: the header shows that live
    if form.cleaned_data["intake_text"].strip():
        intake = f"{form.cleaned_data['intake_text'].strip()}\n\n{intake}"
    title = form.cleaned_data["title"].strip() or ticket.summary[:200]
    notices = [
        f"“{session.title}” is already open on ticket #{ticket.id} (started by {session.created_by or 'someone'})."
        for session in selectors.open_sessions_on_ticket(account=account, ticket_id=ticket.id)
    ]
    if ticket.closed:
        status = f" (status “{ticket.status.name}”)" if ticket.status else ""
        notices.append(
            f"Ticket #{ticket.id} is closed in the PSA{status}: posting would add a note to a closed ticket."
        )
    return SessionForm(initial={"title": title, "psa_ticket_id": ticket.id, "intake_text": intake}), notices


# The workspace


def workspace_context(request, session, **overrides) -> dict:
    """Everything `sessions/workspace.html` reads; `overrides` carry bound forms with their errors."""
    fix = session.active_fixes[0] if session.active_fixes else None
    templates = list(selectors.template_list(account=session.account))
    chosen = next((t for t in templates if t.slug == request.GET.get("template")), None)
    editing_id = int_or(request.GET.get("edit_fact"))
    editing = next((fact for fact in session.live_facts if fact.pk == editing_id), None) if session.is_open else None
    handoff = handoff_selectors.latest_handoff(session)
    open_kind = handoff_selectors.kind_to_open(
        session=session, requested=request.GET.get("preview", ""), handoff=handoff
    )
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
        "editing_fact_id": editing.pk if editing else None,
        "fact_edit_form": _fact_form(editing) if editing else None,
        "templates": templates,
        "script_template": chosen,
        "script_form": ScriptForm(template=chosen) if chosen else None,
        "handoff": handoff,
        "panel": handoff_selectors.preview_panel(session=session, kind=open_kind)
        if open_kind and session.is_open
        else None,
        "editing_draft": request.GET.get("mode") == "edit",
    }
    context.update(overrides)
    return context


def _fact_form(fact: Fact, data=None) -> FactForm:
    """The inline editor's form: ids of its own, so it can sit beside the add form."""
    initial = {"text": fact.text, "source_type": fact.source_type, "source_summary": fact.source_summary}
    form = FactForm(data, initial=initial, auto_id=f"fact{fact.pk}_%s")
    form.fields["text"].widget.attrs["autofocus"] = True  # htmx focuses it when the editor swaps in
    return form


@login_required
@require_GET
def workspace(request, session_id):
    session = session_for_user(request.user, session_id, detail=True)
    return render(request, WORKSPACE, workspace_context(request, session))


def _region(request, session_id, region: str, *, changed: bool, shown_once: dict | None = None, **forms):
    """The answer to a write in one region: the fresh region for HTMX (telling the page the session
    changed), a redirect for a plain POST, or the whole workspace with the form's errors.

    `shown_once` is what exists only in this response (a generated script with its secrets): a plain
    POST then gets the page itself, since a redirect would lose it.
    """
    if changed and not request.htmx and shown_once is None:
        return redirect(f"{reverse('workspace', args=[session_id])}#{region}")
    session = session_for_user(request.user, session_id, detail=True)
    if not changed and not session.is_open:  # its forms are gone from the page: say why nothing happened
        messages.error(request, session.closed_reason)
    context = workspace_context(request, session, **((shown_once or {}) if changed else forms))
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
        if data["psa_ticket_id"] not in (None, session.psa_ticket_id):
            _check_ticket_exists(request, session, data["psa_ticket_id"])
        services.session_update(session=session, changes=data)

    changed = submit(form, save)
    return _region(request, session_id, "workspace", changed=changed, details_form=form)


def _check_ticket_exists(request, session, ticket_id: int) -> None:
    """A newly linked ticket the PSA says does not exist is refused; when the PSA can't answer, it is linked
    with a warning (the engineer may be cut off from the PSA, not wrong). Without a usable PSA connection
    nothing is checked."""
    try:
        psa_services.ticket_lookup(account=session.account, ticket_id=ticket_id)
    except psa_services.PsaNotConfigured:
        return
    except DomainError as exc:
        if exc.code == "psa_ticket_not_found":
            raise
        messages.warning(request, f"Ticket #{ticket_id} is linked, but the PSA could not confirm it: {exc.message}")


@login_required
@require_POST
def fact_add(request, session_id):
    session = session_for_user(request.user, session_id)
    form = FactForm(request.POST)
    changed = submit(form, lambda **data: services.fact_add(session=session, user=request.user, **data))
    return _region(request, session_id, "facts", changed=changed, fact_form=form)


def _fact(session, fact_id) -> Fact:
    return get_object_or_404(Fact.objects.live().filter(session=session), pk=fact_id)


@login_required
@require_GET
def fact_row(request, session_id, fact_id):
    """One fact as shown (what "Cancel" swaps back in)."""
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id)
    if not request.htmx:
        return redirect(f"{reverse('workspace', args=[session_id])}#fact-{fact.pk}")
    return fragment(request, f"{WORKSPACE}#fact-row", {"session": session, "fact": fact, "focus_row": True})


@login_required
@require_http_methods(["GET", "POST"])
def fact_edit(request, session_id, fact_id):
    """The inline editor of one fact; saving swaps the row back in."""
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{reverse('workspace', args=[session_id])}?edit_fact={fact.pk}#fact-{fact.pk}")
        if not session.is_open:
            messages.error(request, session.closed_reason)
            return fragment(request, f"{WORKSPACE}#fact-row", {"session": session, "fact": fact})
        return fragment(request, f"{WORKSPACE}#fact-edit", {"session": session, "fact": fact, "form": _fact_form(fact)})

    form = _fact_form(fact, request.POST)
    changed = submit(form, lambda **data: services.fact_update(fact=fact, changes=data))
    if not request.htmx:
        if changed:
            return redirect(f"{reverse('workspace', args=[session_id])}#fact-{fact.pk}")
        full = session_for_user(request.user, session_id, detail=True)
        context = workspace_context(request, full, editing_fact_id=fact.pk, fact_edit_form=form)
        return render(request, WORKSPACE, context, status=400)
    if not changed:
        return fragment(request, f"{WORKSPACE}#fact-edit", {"session": session, "fact": fact, "form": form})
    response = fragment(request, f"{WORKSPACE}#fact-row", {"session": session, "fact": fact, "focus_row": True})
    trigger_client_event(response, SESSION_CHANGED)
    return response


@login_required
@require_POST
def fact_delete(request, session_id, fact_id):
    session = session_for_user(request.user, session_id)
    fact = _fact(session, fact_id)
    try:
        services.fact_delete(fact=fact)
        messages.success(request, "Fact deleted: it will not appear in drafts.")
        changed = True
    except DomainError as exc:
        toast_error(request, exc)
        changed = False
    return _region(request, session_id, "facts", changed=changed)


@login_required
@require_POST
def check_add(request, session_id):
    session = session_for_user(request.user, session_id)
    form = CheckForm(request.POST)
    changed = submit(form, lambda **data: services.check_record(session=session, **data))
    return _region(request, session_id, "checks", changed=changed, check_form=form)


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
    template = ScriptTemplate.objects.filter(account_id=session.account_id, slug=slug).first() if slug else None
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
