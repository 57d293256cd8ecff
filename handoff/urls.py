from django.urls import path, register_converter

from handoff import views
from handoff.kinds import DraftKind


class DraftKindConverter:
    """`resolution-note` / `escalation-package` in a URL, a `DraftKind` in the view."""

    regex = "|".join(kind.url_slug for kind in DraftKind)

    def to_python(self, value: str) -> DraftKind:
        return next(kind for kind in DraftKind if kind.url_slug == value)

    def to_url(self, value) -> str:
        return DraftKind(value).url_slug


register_converter(DraftKindConverter, "draftkind")

urlpatterns = [
    path("sessions/<uuid:session_id>/<draftkind:kind>/preview/", views.preview, name="preview"),
    path("sessions/<uuid:session_id>/<draftkind:kind>/edit/", views.draft_save, name="draft-save"),
    path("sessions/<uuid:session_id>/<draftkind:kind>/discard/", views.draft_discard, name="draft-discard"),
    path("sessions/<uuid:session_id>/<draftkind:kind>/post/", views.post, name="handoff-post"),
    path("handoffs/<uuid:handoff_id>/", views.handoff_status, name="handoff-status"),
    path("handoffs/<uuid:handoff_id>/retry/", views.handoff_retry, name="handoff-retry"),
]
