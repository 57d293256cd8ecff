"""Reads for the workspace's wrap-up area: the preview panel of one kind and the session's latest handoff."""

from dataclasses import dataclass

from handoff import previews
from handoff.kinds import DraftKind
from handoff.models import DraftEdit, Handoff
from handoff.previews import Preview
from handoff.rendering import render_markdown
from psa.models import PsaConnection
from sessions.models import Session


@dataclass(frozen=True)
class PreviewPanel:
    """What the preview panel shows: the draft (or the engineer's edit of it) and where it will go."""

    session: Session
    kind: DraftKind
    preview: Preview | None  # None: nothing drafted yet
    edit: DraftEdit | None
    has_psa_connection: bool

    @property
    def pending(self) -> bool:
        return self.preview is not None and not self.preview.ready

    @property
    def draft(self) -> dict | None:
        return self.preview.draft if self.preview is not None and self.preview.ready else None

    @property
    def has_text(self) -> bool:
        return self.edit is not None or self.draft is not None

    @property
    def markdown(self) -> str:
        return self.edit.markdown if self.edit else self.draft["markdown"]

    @property
    def html(self) -> str:
        return render_markdown(self.edit.markdown) if self.edit else self.draft["html"]

    @property
    def based_on_state_version(self) -> int:
        return self.edit.based_on_state_version if self.edit else self.draft["state_version"]

    @property
    def stale(self) -> bool:
        return self.has_text and self.based_on_state_version != self.session.state_version

    @property
    def customer_visible(self) -> bool:
        return self.kind == DraftKind.RESOLUTION_NOTE and self.session.psa_ticket_id is not None

    @property
    def is_local(self) -> bool:
        return self.session.psa_ticket_id is None


def preview_panel(*, session: Session, kind: DraftKind, preview: Preview | None = None) -> PreviewPanel:
    """The panel for `kind`; `preview` is what a POST just returned, else the cache's current answer."""
    if preview is None:
        preview = previews.preview_current(session=session, kind=kind)
    return PreviewPanel(
        session=session,
        kind=kind,
        preview=preview,
        edit=DraftEdit.objects.filter(session=session, kind=kind).first(),
        has_psa_connection=PsaConnection.objects.filter(account_id=session.account_id).exists(),
    )


def kind_to_open(*, session: Session, requested: str = "") -> DraftKind | None:
    """Which panel the workspace opens: the one asked for, else the one holding the engineer's edits."""
    for kind in DraftKind:
        if requested == kind.url_slug:
            return kind
    edit = DraftEdit.objects.filter(session=session).only("kind").first()
    return DraftKind(edit.kind) if edit else None


def latest_handoff(session: Session) -> Handoff | None:
    return Handoff.objects.filter(session=session).select_related("created_by").first()
