"""The two things FlowPilot drafts and posts, and the exact sections each must have."""

from django.db import models


class DraftKind(models.TextChoices):
    RESOLUTION_NOTE = "resolution_note", "Resolution note"
    ESCALATION_PACKAGE = "escalation_package", "Escalation package"

    @property
    def headings(self) -> tuple[str, ...]:
        return HEADINGS[self]

    @property
    def url_slug(self) -> str:
        """`resolution-note` / `escalation-package`, as in the REST paths."""
        return self.value.replace("_", "-")

    @property
    def short_name(self) -> str:
        """`resolution` / `escalation`, as in the URL names (`api-resolution-preview`)."""
        return self.value.split("_")[0]


HEADINGS: dict[str, tuple[str, ...]] = {
    DraftKind.RESOLUTION_NOTE: ("Problem", "What we confirmed", "Root cause", "Resolution"),
    DraftKind.ESCALATION_PACKAGE: (
        "Problem",
        "What we've confirmed",
        "What we've tried",
        "Current hypothesis",
        "Suggested next steps",
    ),
}

# Escalation rules on the active fix's confidence (DESIGN §3, the drafting issue).
NO_HYPOTHESIS_BELOW_PCT = 60
TRY_FIX_FIRST_ABOVE_PCT = 80
NO_HYPOTHESIS_TEXT = "No leading hypothesis yet."
