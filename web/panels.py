"""The workspace's wrap-up area as the page shows it: the preview panel of one kind (the draft or the
engineer's edit of it, where it will go, what to warn about) and which panel opens."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from drafting import previews
from drafting.kinds import DraftKind
from drafting.models import OFFLINE, DraftEdit
from drafting.previews import Preview
from drafting.rendering import render_markdown
from flowpilot.errors import ServiceUnavailable
from handoff.models import Handoff
from handoff.selectors import failed_handoff
from handoff.services import post_warnings, ticket_looks_done
from psa.models import PsaConnection
from psa.services import connection_for, note_as_it_lands
from sessions.models import Session


@dataclass(frozen=True)
class PreviewPanel:
    """What the preview panel shows: the draft (or the engineer's edit of it) and where it will go."""

    session: Session
    kind: DraftKind
    preview: Preview | None  # None: nothing drafted yet
    edit: DraftEdit | None
    psa_connection: PsaConnection | None
    warnings: tuple[str, ...] = ()  # what to confirm before posting (handoff.services.post_warnings)
    ticket_done: str = ""  # why the ticket looks done already: posting needs `confirm_closed_ticket`
    failed_text: str = ""  # the text of a post that failed, when neither an edit nor a draft is left

    @property
    def pending(self) -> bool:
        return self.preview is not None and not self.preview.ready

    @property
    def draft(self) -> dict | None:
        return self.preview.draft if self.preview is not None and self.preview.ready else None

    @property
    def has_psa_connection(self) -> bool:
        return self.psa_connection is not None

    @cached_property
    def landing(self) -> tuple[str, str] | None:
        """(format in words, exact text) of the note on the ticket; None when it resolves locally or the account
        has no PSA connection (the page then shows the rendered Markdown)."""
        if self.is_local or not self.has_text:
            return None
        return note_as_it_lands(self.psa_connection, self.markdown)

    @property
    def prepared_at(self) -> datetime | None:
        """When the draft was prepared in the background (drafting.preparation), before anyone asked for it."""
        if not self.draft or not self.draft.get("prepared_in_background"):
            return None
        return datetime.fromisoformat(self.draft["generated_at"])

    @property
    def drafted_offline(self) -> bool:
        return self.draft is not None and self.draft["drafted_by"] == OFFLINE

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
        return self.kind.rules.customer_visible and self.session.psa_ticket_id is not None

    @property
    def is_local(self) -> bool:
        return self.session.psa_ticket_id is None


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
        failed = failed_handoff(session, kind)
        failed_text = failed.markdown if failed else ""
    return PreviewPanel(
        session=session,
        kind=kind,
        preview=preview,
        edit=edit,
        failed_text=failed_text,
        psa_connection=connection_for(session.account),
        warnings=tuple(post_warnings(session=session, kind=kind)),
        ticket_done=ticket_looks_done(session=session, kind=kind),
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
