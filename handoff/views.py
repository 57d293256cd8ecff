"""The workspace's wrap-up area: the preview panel (draft, edit, regenerate) and Confirm & post.

HTMX requests get the `wrap-up` or `preview-panel` region of `sessions/workspace.html`; a plain POST
is redirected to the workspace, where the same regions render from the database and the cache.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from flowpilot.errors import DomainError
from flowpilot.web import fragment, int_or, toast_error
from handoff import previews, selectors, services
from handoff.kinds import DraftKind
from handoff.models import Handoff
from sessions.selectors import session_for_user
from sessions.views import WORKSPACE, workspace_context


def _workspace_url(session_id, kind: DraftKind | None = None, *, mode: str = "") -> str:
    query = f"?preview={kind.url_slug}" + (f"&mode={mode}" if mode else "") if kind else ""
    return f"{reverse('workspace', args=[session_id])}{query}#wrap-up"


def _panel(request, session, kind: DraftKind, *, preview=None, editing: bool = False) -> HttpResponse:
    try:
        panel = selectors.preview_panel(session=session, kind=kind, preview=preview)
    except DomainError as exc:  # the session closed meanwhile: the wrap-up area says how it ended
        toast_error(request, exc)
        return _wrap_up(request, session.pk)
    return fragment(
        request, f"{WORKSPACE}#preview-panel", {"session": session, "panel": panel, "editing_draft": editing}
    )


@login_required
@require_http_methods(["GET", "POST"])
def preview(request, session_id, kind: DraftKind):
    """GET: the panel as it stands (polled while drafting). POST: draft it (`force` regenerates, dropping
    the engineer's edits after the page asked them to confirm)."""
    session = session_for_user(request.user, session_id)
    editing = request.GET.get("mode") == "edit"
    try:
        if request.method == "POST":
            force = bool(request.POST.get("force"))
            if force:
                services.draft_edit_discard(session=session, kind=kind)
            result = previews.preview_request(session=session, kind=kind, force=force)
        else:
            result = None
        if not request.htmx:
            return redirect(_workspace_url(session_id, kind, mode="edit" if editing else ""))
        return _panel(request, session, kind, preview=result, editing=editing)
    except DomainError as exc:  # a closed session, a task queue that is down
        toast_error(request, exc)
        if not request.htmx:
            return redirect(_workspace_url(session_id))
        return _wrap_up(request, session_id)


@login_required
@require_POST
def draft_save(request, session_id, kind: DraftKind):
    """Keep the edited text. Autosave (as the engineer types) answers a small "saved" note; "Done editing"
    answers the panel with the edited text rendered."""
    session = session_for_user(request.user, session_id)
    try:
        _keep_edit(request, session, kind)
    except DomainError as exc:
        if request.POST.get("autosave"):
            return fragment(request, f"{WORKSPACE}#edit-saved", {"error": exc.message})
        toast_error(request, exc)
        return (
            _panel(request, session, kind, editing=True)
            if request.htmx
            else redirect(_workspace_url(session_id, kind, mode="edit"))
        )
    if request.POST.get("autosave"):
        return fragment(request, f"{WORKSPACE}#edit-saved", {})
    if not request.htmx:
        return redirect(_workspace_url(session_id, kind))
    return _panel(request, session, kind)


def _keep_edit(request, session, kind: DraftKind) -> None:
    """The editor's text, kept as the engineer's edit of the draft it started from."""
    services.draft_edit_save(
        session=session,
        kind=kind,
        markdown=request.POST.get("markdown", ""),
        based_on_state_version=int_or(request.POST.get("based_on_state_version"), session.state_version),
        user=request.user,
    )


@login_required
@require_POST
def draft_discard(request, session_id, kind: DraftKind):
    session = session_for_user(request.user, session_id)
    try:
        services.draft_edit_discard(session=session, kind=kind)
        messages.info(request, "Your edits were discarded; the panel shows the draft again.")
    except DomainError as exc:
        toast_error(request, exc)
    if not request.htmx:
        return redirect(_workspace_url(session_id, kind if session.is_open else None))
    return _panel(request, session, kind)


@login_required
@require_POST
def post(request, session_id, kind: DraftKind):
    """Confirm & post. The text comes from the form; from the editor it is kept as the engineer's edit
    first, so a failed post never loses it."""
    session = session_for_user(request.user, session_id)
    markdown = request.POST.get("markdown", "")
    try:
        if request.POST.get("from_editor"):
            _keep_edit(request, session, kind)
        handoff = services.handoff_post(session=session, kind=kind, markdown=markdown, user=request.user)
    except DomainError as exc:
        toast_error(request, exc)
        if not request.htmx:
            return redirect(_workspace_url(session_id, kind))
        return _wrap_up(request, session_id, open_kind=kind)
    return _handoff_response(request, handoff, announce=True)


@login_required
@require_GET
def handoff_status(request, handoff_id):
    """Polled while a post runs; answers the wrap-up area, or the whole workspace once the session closed.
    Only the poll announces the end: a reload shows the result on the page instead."""
    return _handoff_response(request, selectors.handoff_for_user(request.user, handoff_id), announce=bool(request.htmx))


@login_required
@require_POST
def handoff_retry(request, handoff_id):
    handoff = selectors.handoff_for_user(request.user, handoff_id)
    try:
        handoff = services.handoff_retry(handoff=handoff)
    except DomainError as exc:
        toast_error(request, exc)
        return _handoff_response(request, handoff, announce=False)
    return _handoff_response(request, handoff, announce=True)


def _handoff_response(request, handoff: Handoff, *, announce: bool) -> HttpResponse:
    """The handoff as it stands: `announce` toasts its end (once, by whoever saw it end); a success
    re-renders the closed workspace, a failure the wrap-up area with a toast that offers Retry."""
    failed = handoff.state == Handoff.State.FAILED
    if announce and handoff.state == Handoff.State.SUCCEEDED:
        messages.success(request, handoff.summary)
    elif announce and failed and not request.htmx:
        messages.error(request, handoff.summary)  # the page's card offers Retry
    if not request.htmx:
        return redirect(_workspace_url(handoff.session_id))
    if handoff.state == Handoff.State.SUCCEEDED:
        session = session_for_user(request.user, handoff.session_id, detail=True)
        response = fragment(request, f"{WORKSPACE}#workspace", workspace_context(request, session))
        return reswap(retarget(response, "#workspace"), "outerHTML")
    # A failed post reopens its panel: the engineer's text is there to edit, or Retry is offered.
    return _wrap_up(
        request,
        handoff.session_id,
        open_kind=DraftKind(handoff.kind) if failed else None,
        failure_toast=announce and failed,
    )


def _wrap_up(request, session_id, *, open_kind: DraftKind | None = None, failure_toast: bool = False) -> HttpResponse:
    session = session_for_user(request.user, session_id, detail=True)
    context = workspace_context(request, session)
    if open_kind is not None and session.is_open:
        context["panel"] = selectors.preview_panel(session=session, kind=open_kind)
    also = (f"{WORKSPACE}#failure-toast",) if failure_toast else ()
    # Every control that lands here swaps outerHTML; only the target may differ (a preview button's is the panel).
    return retarget(fragment(request, f"{WORKSPACE}#wrap-up", context, also=also), "#wrap-up")
