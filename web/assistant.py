"""The workspace's conversation with the assistant (DESIGN §10): sending a message, a reply once written (the
browser streams it from the API), Retry, the proposal cards' Accept and Dismiss, and "Promote to fact".

Each view finds its object inside the user's account and calls one `assistant.services` function. HTMX gets
partials of `sessions/assistant.html` (after an accept, the lane's rows too, out of band); a plain POST is
redirected to the workspace, or gets the whole workspace with the refusal in words next to what was tried.
Refusals answer the API's status (400, 409): assistant.js lets htmx swap those in.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from assistant import selectors, services
from assistant.models import Proposal
from flowpilot.errors import DomainError
from flowpilot.web import fragment
from sessions import selectors as session_selectors
from sessions.models import Fact
from sessions.selectors import session_for_user
from web.forms import ScriptForm
from web.views import SESSION_CHANGED, WORKSPACE, workspace_context

CHAT = "sessions/assistant.html"
# What a card's editor sends, per kind: Accept passes these as the edited payload (a check's result too).
EDITABLE_FIELDS = {
    Proposal.Kind.FACT: ("text", "source_summary"),
    Proposal.Kind.CHECK: ("name", "command", "expected", "result"),
    Proposal.Kind.FIX: ("title", "description", "confidence_pct"),
}
# The lane's region an accepted proposal changes, replaced out of band (a fact's row is appended instead).
REGION_OF = {"check": "checks", "fix": "fix", "script_form": "scripts"}


def _at(session_id, anchor: str = "assistant") -> str:
    return f"{reverse('workspace', args=[session_id])}#{anchor}"


def _whole_workspace(request, session_id, *, status: int = 200, **overrides) -> HttpResponse:
    session = session_for_user(request.user, session_id, detail=True)
    return render(request, WORKSPACE, workspace_context(request, session, **overrides), status=status)


@login_required
@require_POST
def message_send(request, session_id):
    """The engineer's message, kept, and the reply started: HTMX appends both to the transcript, the reply in
    its streaming state."""
    session = session_for_user(request.user, session_id)
    text = request.POST.get("text", "")
    try:
        message, reply = services.message_send(session=session, user=request.user, text=text)
    except DomainError as exc:
        if not request.htmx:
            return _whole_workspace(request, session_id, status=exc.status, chat_error=exc.message, chat_text=text)
        response = fragment(request, f"{CHAT}#chat-error", {"chat_error": exc.message}, status=exc.status)
        return reswap(retarget(response, "#chat-error"), "outerHTML")
    if not request.htmx:
        return redirect(_at(session_id, f"message-{reply.pk}"))
    return fragment(request, f"{CHAT}#sent", {"session": session, "sent": [message, reply], "error_oob": True})


@login_required
@require_GET
def message(request, session_id, message_id):
    """One message as it stands: what assistant.js swaps in once a reply's stream ends (its final text rendered
    and sanitised, with its cards)."""
    session = session_for_user(request.user, session_id)
    found = selectors.message_in(session, message_id)
    if not request.htmx:
        return redirect(_at(session_id, f"message-{found.pk}"))
    return fragment(request, f"{CHAT}#message", {"session": session, "message": found})


@login_required
@require_POST
def reply_retry(request, session_id, message_id):
    session = session_for_user(request.user, session_id)
    reply = selectors.message_in(session, message_id)
    try:
        reply = services.reply_retry(reply=reply)
    except DomainError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect(_at(session_id, f"message-{reply.pk}"))
        context = {"session": session, "message": reply, "retry_error": exc.message}
        return fragment(request, f"{CHAT}#message", context, status=exc.status)
    if not request.htmx:
        return redirect(_at(session_id, f"message-{reply.pk}"))
    return fragment(request, f"{CHAT}#message", {"session": session, "message": reply})


# Proposal cards


def _edited(request, proposal: Proposal) -> dict | None:
    """The card editor's fields, or None for a plain Accept (the proposal as the assistant made it)."""
    if not request.POST.get("edited"):
        return None
    return {field: request.POST.get(field, "") for field in EDITABLE_FIELDS.get(proposal.kind, ())}


@login_required
@require_POST
def proposal_accept(request, session_id, proposal_id):
    """Accept a card, as proposed or edited: it is written through the manual forms' services, and the lane
    shows it at once. A script card opens the script form prefilled, for the engineer to type any password."""
    session = session_for_user(request.user, session_id)
    proposal = selectors.proposal_in(session, proposal_id)
    edited = _edited(request, proposal)
    try:
        decided, result = services.proposal_accept(proposal=proposal, user=request.user, payload=edited)
    except DomainError as exc:
        return _card_refused(request, session, proposal, exc, edited)
    script = _prefilled_script(session, result) if result["type"] == "script_form" else {}
    if not request.htmx:
        if script:  # the prefilled form lives only in this answer
            return _whole_workspace(request, session_id, **script)
        return redirect(_at(session_id, f"proposal-{decided.pk}"))
    return _decided(request, session, decided, result, script)


@login_required
@require_POST
def proposal_dismiss(request, session_id, proposal_id):
    session = session_for_user(request.user, session_id)
    proposal = selectors.proposal_in(session, proposal_id)
    try:
        decided = services.proposal_dismiss(proposal=proposal, user=request.user)
    except DomainError as exc:
        return _card_refused(request, session, proposal, exc, None)
    if not request.htmx:
        return redirect(_at(session_id, f"proposal-{decided.pk}"))
    return fragment(request, f"{CHAT}#proposal", {"session": session, "proposal": decided})


def _prefilled_script(session, result: dict) -> dict:
    template = session_selectors.template_by_slug(account=session.account, slug=result["id"])
    if template is None:
        return {}
    form = ScriptForm(template=template, initial=result.get("parameters") or {})
    password = next((p["key"] for p in template.parameters if p.get("field_type") == "password"), None)
    if password:
        form.fields[password].widget.attrs["autofocus"] = True
    return {"script_template": template, "script_form": form}


def _decided(request, session, proposal: Proposal, result: dict, script: dict) -> HttpResponse:
    """The card marked accepted, and what it changed in the lane, out of band: a fact's row appended to "What
    we know" with the new count, or the checks, fix or scripts region as it now stands."""
    if result["type"] == "fact":
        fact = Fact.objects.get(pk=result["id"])
        count = Fact.objects.live().filter(session=session).count()
        context = {"session": session, "proposal": proposal, "fact": fact, "list": "facts", "count": count}
        also = (f"{CHAT}#oob-fact",)
    else:
        full = session_for_user(request.user, session.pk, detail=True)
        context = workspace_context(request, full, swap_oob=True, proposal=proposal, **script)
        also = (f"{WORKSPACE}#{REGION_OF[result['type']]}",)
    response = fragment(request, f"{CHAT}#proposal", context, also=also)
    return trigger_client_event(response, SESSION_CHANGED)


def _card_refused(request, session, proposal: Proposal, exc: DomainError, edited: dict | None) -> HttpResponse:
    """The card again with the refusal in words (decided already, a field the edit got wrong), the editor
    open with what the engineer typed when it was the edit."""
    proposal.refresh_from_db()
    if edited and proposal.state == Proposal.State.OPEN:
        proposal.payload = {**proposal.payload, **edited}
    error = {"id": proposal.pk, "message": exc.message, "field": exc.field if edited else None}
    if not request.htmx:
        return _whole_workspace(request, session.pk, status=exc.status, proposal_error=error, edited_proposal=proposal)
    context = {"session": session, "proposal": proposal, "proposal_error": error}
    return fragment(request, f"{CHAT}#proposal", context, status=exc.status)


# Promote to fact


@login_required
@require_POST
def fact_promote(request, session_id):
    """Selected text as one fact line, shown for the engineer to confirm; Save posts it to the facts' own add
    form, as a fact from the AI."""
    session = session_for_user(request.user, session_id)
    try:
        context = {"promote_text": services.fact_promote(session=session, text=request.POST.get("text", ""))}
        status = 200
    except DomainError as exc:
        context, status = {"promote_error": exc.message}, exc.status
    if not request.htmx:
        return _whole_workspace(request, session_id, status=status, **context)
    return fragment(request, f"{CHAT}#promote", {"session": session, **context}, status=status)
