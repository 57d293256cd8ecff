"""REST views of drafting and posting: find the session inside the user's account, call one service, serialize."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from flowpilot.errors import NotFound
from flowpilot.schema import error_response
from handoff import previews, selectors, services
from handoff.kinds import DraftKind
from handoff.models import Handoff
from handoff.serializers import (
    HandoffPostSerializer,
    HandoffSerializer,
    PendingSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    preview_data,
)
from sessions.api import AccountScoped

QUEUE_UNAVAILABLE = error_response("The task queue is unreachable: nothing was started.")
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
        preview = previews.preview_request(session=session, kind=self.kind, force=serializer.validated_data["force"])
        return self.respond(preview, session)

    @extend_schema(responses={**PREVIEW_RESPONSES, 404: error_response("No draft yet (or no such session).")})
    def get(self, request, session_id):
        session = self.get_session()
        preview = previews.preview_current(session=session, kind=self.kind)
        if preview is None:
            raise NotFound("No draft yet for this session: POST to this URL to draft one.", code="no_draft")
        return self.respond(preview, session)


class HandoffPostView(AccountScoped, APIView):
    """`…/resolution-note/post` and `…/escalation-package/post`: Confirm & post (the URLconf sets `kind`)."""

    kind: DraftKind | None = None

    @extend_schema(request=HandoffPostSerializer, responses={202: HandoffSerializer, 503: QUEUE_UNAVAILABLE})
    def post(self, request, session_id):
        serializer = HandoffPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = services.handoff_post(
            session=self.get_session(),
            kind=self.kind,
            markdown=serializer.validated_data["markdown"],
            user=request.user,
        )
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_202_ACCEPTED)


class HandoffScoped:
    def get_handoff(self) -> Handoff:
        return selectors.handoff_for_user(self.request.user, self.kwargs["handoff_id"])


class HandoffDetail(HandoffScoped, APIView):
    @extend_schema(responses=HandoffSerializer)
    def get(self, request, handoff_id):
        return Response(HandoffSerializer(self.get_handoff()).data)


class HandoffRetry(HandoffScoped, APIView):
    @extend_schema(request=None, responses={202: HandoffSerializer, 503: QUEUE_UNAVAILABLE})
    def post(self, request, handoff_id):
        handoff = services.handoff_retry(handoff=self.get_handoff())
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_202_ACCEPTED)
