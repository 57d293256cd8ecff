"""What FlowPilot drafts and posts: one table, one row per kind.

Every rule about a kind lives in its row: the sections its draft must have, the note it becomes on a
ticket, how it closes the session, which account setting holds its target status, and the words the
pages use for it. A third kind is one more member and one more row.
"""

from dataclasses import dataclass

from django.db import models

from psa.providers.base import NoteKind
from sessions.models import Session


class DraftKind(models.TextChoices):
    RESOLUTION_NOTE = "resolution_note", "Resolution note"
    ESCALATION_PACKAGE = "escalation_package", "Escalation package"

    @property
    def rules(self) -> "KindRules":
        return KINDS[self]

    @property
    def headings(self) -> tuple[str, ...]:
        return self.rules.headings

    @property
    def url_slug(self) -> str:
        """`resolution-note` / `escalation-package`, as in the REST paths."""
        return self.value.replace("_", "-")

    @property
    def short_name(self) -> str:
        """`resolution` / `escalation`, as in the URL names (`api-resolution-preview`)."""
        return self.value.split("_")[0]

    @property
    def preview_stream_url_name(self) -> str:
        return f"api-{self.short_name}-preview-stream"


class DraftKindConverter:
    """`resolution-note` / `escalation-package` in a URL, a `DraftKind` in the view."""

    regex = "|".join(kind.url_slug for kind in DraftKind)

    def to_python(self, value: str) -> DraftKind:
        return next(kind for kind in DraftKind if kind.url_slug == value)

    def to_url(self, value) -> str:
        return DraftKind(value).url_slug


@dataclass(frozen=True)
class KindRules:
    headings: tuple[str, ...]  # the draft's `##` sections, in order
    brief: str  # what the model is asked to write
    note_kind: NoteKind  # what the note is on the ticket
    posted_outcome: Session.ClosedAs  # how the session closes once the note is on the ticket
    local_outcome: Session.ClosedAs  # how it closes with no ticket linked
    target_status_key: str  # the account setting holding the ticket's status after the post
    note_label: str  # "the … was posted", as the toast says it
    verb: str  # "Confirm & resolve locally"
    verb_done: str  # "Resolved locally"
    customer_visible: bool  # the customer reads it: the pages say so and warn without a confirmed fix
    preview_button: str  # the wrap-up's button that drafts it; the first kind's is the primary one

    def outcome(self, *, local: bool) -> Session.ClosedAs:
        return self.local_outcome if local else self.posted_outcome


KINDS: dict[str, KindRules] = {
    DraftKind.RESOLUTION_NOTE: KindRules(
        headings=("Problem", "What we confirmed", "Root cause", "Resolution"),
        brief="customer-visible resolution note",
        note_kind=NoteKind.RESOLUTION,
        posted_outcome=Session.ClosedAs.RESOLVED,
        local_outcome=Session.ClosedAs.RESOLVED_LOCAL,
        target_status_key="cw_resolved_status_id",
        note_label="resolution note",
        verb="resolve",
        verb_done="Resolved",
        customer_visible=True,
        preview_button="Preview resolve note",
    ),
    DraftKind.ESCALATION_PACKAGE: KindRules(
        headings=(
            "Problem",
            "What we've confirmed",
            "What we've tried",
            "Current hypothesis",
            "Suggested next steps",
        ),
        brief="internal escalation package",
        note_kind=NoteKind.INTERNAL,
        posted_outcome=Session.ClosedAs.ESCALATED,
        local_outcome=Session.ClosedAs.ESCALATED_LOCAL,
        target_status_key="cw_escalated_status_id",
        note_label="internal escalation note",
        verb="escalate",
        verb_done="Escalated",
        customer_visible=False,
        preview_button="Escalate instead",
    ),
}

# Escalation rules on the active fix's confidence (DESIGN §3, the drafting issue).
NO_HYPOTHESIS_BELOW_PCT = 60
TRY_FIX_FIRST_ABOVE_PCT = 80
NO_HYPOTHESIS_TEXT = "No leading hypothesis yet."
