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

from drafting import preparation
from drafting import services as drafting_services
from drafting.kinds import DraftKind
from flowpilot.errors import DomainError
from flowpilot.web import fragment, int_or, toast_error
from handoff import services as handoff_services
from handoff.models import Handoff
from handoff.selectors import handoff_for_user
from sessions.models import Session
from sessions.selectors import session_for_user
from web import panels
from web.views import WORKSPACE, workspace_context


def _workspace_url(session_id, kind: DraftKind | None = None, *, mode: str = "") -> str:
    query = f"?preview={kind.url_slug}" + (f"&mode={mode}" if mode else "") if kind else ""
    return f"{reverse('workspace', args=[session_id])}{query}#wrap-up"


def _panel(request, session, kind: DraftKind, *, preview=None, editing: bool = False) -> HttpResponse:
    try:
        panel = panels.preview_panel(session=session, kind=kind, preview=preview)
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
                drafting_services.draft_edit_discard(session=session, kind=kind)
            # The page does not wait for the model: a draft not ready at once streams into the panel.
            result = drafting_services.preview_request(
                session=session, kind=kind, force=force, wait_seconds=0 if request.htmx else None
            )
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
def prepare(request, session_id):
    """The wrap-up came into view: once a fix was applied, the draft it most likely opens is prepared now, in the
    background, so the Preview click finds it ready (drafting.preparation). Nothing to show: 204."""
    session = session_for_user(request.user, session_id)
    kind = preparation.kind_for_the_wrap_up(session)
    if kind is not None:
        drafting_services.preview_prepare(session=session, kind=kind, delay=0)
    return HttpResponse(status=204)


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
    drafting_services.draft_edit_save(
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
        drafting_services.draft_edit_discard(session=session, kind=kind)
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
        handoff = handoff_services.handoff_post(
            session=session,
            kind=kind,
            markdown=markdown,
            user=request.user,
            warnings_confirmed=bool(request.POST.get("confirm_warnings")),
            confirm_closed_ticket=bool(request.POST.get("confirm_closed_ticket")),
        )
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
    return _handoff_response(request, handoff_for_user(request.user, handoff_id), announce=bool(request.htmx))


@login_required
@require_POST
def handoff_retry(request, handoff_id):
    handoff = handoff_for_user(request.user, handoff_id)
    try:
        handoff = handoff_services.handoff_retry(
            handoff=handoff, confirm_closed_ticket=bool(request.POST.get("confirm_closed_ticket")), user=request.user
        )
    except DomainError as exc:
        toast_error(request, exc)
        return _handoff_response(request, handoff, announce=False)
    return _handoff_response(request, handoff, announce=True)


def _handoff_response(request, handoff: Handoff, *, announce: bool) -> HttpResponse:
    """The handoff as it stands: `announce` toasts its end (once, by whoever saw it end); a success
    re-renders the closed workspace, a failure the wrap-up area with a toast that offers Retry."""
    session = session_for_user(request.user, handoff.session_id, detail=True)
    # Read after the session: the worker ends a handoff and closes its session in one commit, so a post
    # that ended between the two reads is seen as ended, never as a closed session with a post in flight.
    handoff.refresh_from_db()
    failed = handoff.state == Handoff.State.FAILED
    if announce and handoff.state == Handoff.State.SUCCEEDED:
        messages.success(request, handoff.summary)
    elif announce and failed and not request.htmx:
        messages.error(request, handoff.summary)  # the page's card offers Retry
    if not request.htmx:
        return redirect(_workspace_url(handoff.session_id))
    if handoff.state == Handoff.State.SUCCEEDED:
        if session.is_open:  # read just before the post ended and closed it: read it again, closed
            session = session_for_user(request.user, handoff.session_id, detail=True)
        response = fragment(request, f"{WORKSPACE}#workspace", workspace_context(request, session))
        return reswap(retarget(response, "#workspace"), "outerHTML")
    # A failed post reopens its panel: the engineer's text is there to edit, or Retry is offered.
    return _wrap_up(
        request,
        session.pk,
        session=session,
        handoff=handoff,
        open_kind=DraftKind(handoff.kind) if failed else None,
        failure_toast=announce and failed,
    )


def _wrap_up(
    request,
    session_id,
    *,
    session: Session | None = None,
    handoff: Handoff | None = None,
    open_kind: DraftKind | None = None,
    failure_toast: bool = False,
) -> HttpResponse:
    """The session's wrap-up area; `session` and `handoff` when the caller has already read them (a
    handoff read later than its session could show a post that ended after the session was read)."""
    session = session or session_for_user(request.user, session_id, detail=True)
    context = workspace_context(request, session, handoff=handoff)
    if open_kind is not None and session.is_open:
        context["panel"] = panels.preview_panel(session=session, kind=open_kind)
    also = (f"{WORKSPACE}#failure-toast",) if failure_toast else ()
    # Every control that lands here swaps outerHTML; only the target may differ (a preview button's is the panel).
    return retarget(fragment(request, f"{WORKSPACE}#wrap-up", context, also=also), "#wrap-up")
