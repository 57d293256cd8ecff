"""REST views of previews: find the session inside the user's account, call one service, serialize."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from drafting import previews, services
from drafting.events import draft_events
from drafting.kinds import DraftKind
from drafting.serializers import PendingSerializer, PreviewRequestSerializer, PreviewSerializer, preview_data
from flowpilot.api import EVENT_STREAM_RENDERERS, event_stream
from flowpilot.errors import NotFound
from flowpilot.schema import error_response
from sessions.api import AccountScoped

PREVIEW_RESPONSES = {
    200: PreviewSerializer,
    202: OpenApiResponse(PendingSerializer, description="Drafting; ask again in a moment."),
    409: error_response("The session is closed."),
    503: error_response("The task queue or the preview cache is unreachable: nothing was started."),
}


class PreviewView(AccountScoped, APIView):
    """`…/resolution-note/preview` and `…/escalation-package/preview` (the URLconf sets `kind`)."""

    kind: DraftKind | None = None

    def respond(self, preview, session) -> Response:
        if not preview.ready:
            return Response({"status": "pending"}, status=status.HTTP_202_ACCEPTED)
        return Response(preview_data(preview, session))

    @extend_schema(request=PreviewRequestSerializer, responses=PREVIEW_RESPONSES)
    def post(self, request, session_id):
        serializer = PreviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = self.get_session()
        preview = services.preview_request(session=session, kind=self.kind, force=serializer.validated_data["force"])
        return self.respond(preview, session)

    @extend_schema(responses={**PREVIEW_RESPONSES, 404: error_response("No draft yet (or no such session).")})
    def get(self, request, session_id):
        session = self.get_session()
        preview = previews.preview_current(session=session, kind=self.kind)
        if preview is None:
            raise NotFound("No draft yet for this session: POST to this URL to draft one.", code="no_draft")
        return self.respond(preview, session)


class PreviewStream(AccountScoped, APIView):
    """`…/preview/stream`: the draft of the session's current state as it is written (drafting.events)."""

    kind: DraftKind | None = None
    renderer_classes = EVENT_STREAM_RENDERERS

    @extend_schema(responses={(200, "text/event-stream"): OpenApiResponse(description="delta, reset, done, error")})
    def get(self, request, session_id):
        return event_stream(draft_events(self.get_session(), self.kind))
