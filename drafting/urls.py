"""REST paths of previews: `ai-sessions/{id}/resolution-note/preview` is named `api-resolution-preview`, and so on."""

from django.urls import path

from drafting.api import PreviewStream, PreviewView
from drafting.kinds import DraftKind

urlpatterns = [
    *(
        path(
            f"ai-sessions/<uuid:session_id>/{kind.url_slug}/preview",
            PreviewView.as_view(kind=kind),
            name=f"api-{kind.short_name}-preview",
        )
        for kind in DraftKind
    ),
    *(
        path(
            f"ai-sessions/<uuid:session_id>/{kind.url_slug}/preview/stream",
            PreviewStream.as_view(kind=kind),
            name=f"api-{kind.short_name}-preview-stream",
        )
        for kind in DraftKind
    ),
]
