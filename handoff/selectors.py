"""Reads for the workspace's wrap-up area: the preview panel of one kind and the session's latest handoff."""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from accounts.selectors import membership_for
from flowpilot.errors import ServiceUnavailable
from handoff import previews
from handoff.kinds import DraftKind
from handoff.models import DraftEdit, Handoff
from handoff.previews import Preview
from handoff.rendering import render_markdown
from psa.models import PsaConnection
from sessions.models import Session, SuggestedFix


@dataclass(frozen=True)
class PreviewPanel:
    """What the preview panel shows: the draft (or the engineer's edit of it) and where it will go."""

    session: Session
    kind: DraftKind
    preview: Preview | None  # None: nothing drafted yet
    edit: DraftEdit | None
    has_psa_connection: bool
    active_fix: SuggestedFix | None = None
    failed_text: str = ""  # the text of a post that failed, when neither an edit nor a draft is left

    @property
    def pending(self) -> bool:
        return self.preview is not None and not self.preview.ready

    @property
    def draft(self) -> dict | None:
        return self.preview.draft if self.preview is not None and self.preview.ready else None

    @property
    def has_text(self) -> bool:
        return self.edit is not None or self.draft is not None or bool(self.failed_text)

    @property
    def markdown(self) -> str:
        if self.edit:
            return self.edit.markdown
        return self.draft["markdown"] if self.draft else self.failed_text

    @property
    def html(self) -> str:
        return self.draft["html"] if self.draft and not self.edit else render_markdown(self.markdown)

    @property
    def based_on_state_version(self) -> int:
        if self.edit:
            return self.edit.based_on_state_version
        return self.draft["state_version"] if self.draft else self.session.state_version

    @property
    def stale(self) -> bool:
        return self.has_text and self.based_on_state_version != self.session.state_version

    @property
    def customer_visible(self) -> bool:
        return self.kind == DraftKind.RESOLUTION_NOTE and self.session.psa_ticket_id is not None

    @property
    def is_local(self) -> bool:
        return self.session.psa_ticket_id is None

    @property
    def unconfirmed_fix_warning(self) -> str:
        """Resolving tells the customer it is fixed: say so when nothing recorded says it was."""
        if self.kind != DraftKind.RESOLUTION_NOTE:
            return ""
        if self.active_fix is None:
            return (
                "No fix is recorded for this session. Resolve only if the problem is really fixed, or escalate instead."
            )
        if self.active_fix.outcome != SuggestedFix.Outcome.APPLIED_SUCCESS:
            return (
                f"The suggested fix is “{self.active_fix.get_outcome_display()}”, not confirmed as fixing it. "
                "Record its outcome first, or escalate instead."
            )
        return ""


def preview_panel(*, session: Session, kind: DraftKind, preview: Preview | None = None) -> PreviewPanel:
    """The panel for `kind`; `preview` is what a POST just returned, else the cache's current answer (none
    while the cache is down: the page still shows the engineer's edit or a failed post's text)."""
    if preview is None:
        try:
            preview = previews.preview_current(session=session, kind=kind)
        except ServiceUnavailable:
            preview = None
    edit = DraftEdit.objects.filter(session=session, kind=kind).first()
    failed_text = ""
    if edit is None and (preview is None or not preview.ready):
        failed = Handoff.objects.filter(session=session, kind=kind, state=Handoff.State.FAILED).first()
        failed_text = failed.markdown if failed else ""
    return PreviewPanel(
        session=session,
        kind=kind,
        preview=preview,
        edit=edit,
        failed_text=failed_text,
        has_psa_connection=PsaConnection.objects.filter(account_id=session.account_id).exists(),
        active_fix=SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).first(),
    )


def kind_to_open(*, session: Session, requested: str = "", handoff: Handoff | None = None) -> DraftKind | None:
    """Which panel the workspace opens: the one asked for, else the one holding the engineer's edits, else
    the kind of a failed post that may be posted again (its card says the text is below)."""
    for kind in DraftKind:
        if requested == kind.url_slug:
            return kind
    edit = DraftEdit.objects.filter(session=session).only("kind").first()
    if edit:
        return DraftKind(edit.kind)
    if handoff is not None and handoff.state == Handoff.State.FAILED and not handoff.needs_retry:
        return DraftKind(handoff.kind)
    return None


def handoff_for_user(user, handoff_id) -> Handoff:
    """The handoff if its session belongs to the user's account, else Http404."""
    membership = membership_for(user)
    account_id = membership.account_id if membership else None
    return get_object_or_404(Handoff.objects.filter(session__account_id=account_id), pk=handoff_id)


def latest_handoff(session: Session) -> Handoff | None:
    return Handoff.objects.filter(session=session).select_related("created_by").first()
