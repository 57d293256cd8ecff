"""REST paths of Confirm & post (`ai-sessions/{id}/resolution-note/post`, named `api-resolution-post`, and so
on) and of handoffs."""

from django.urls import path

from drafting.kinds import DraftKind
from handoff import api

urlpatterns = [
    *(
        path(
            f"ai-sessions/<uuid:session_id>/{kind.url_slug}/post",
            api.HandoffPostView.as_view(kind=kind),
            name=f"api-{kind.short_name}-post",
        )
        for kind in DraftKind
    ),
    path("handoffs/<uuid:handoff_id>/", api.HandoffDetail.as_view(), name="api-handoff"),
    path("handoffs/<uuid:handoff_id>/retry", api.HandoffRetry.as_view(), name="api-handoff-retry"),
    path("handoffs/<uuid:handoff_id>/events", api.HandoffEvents.as_view(), name="api-handoff-events"),
]
