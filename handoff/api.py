"""REST views of Confirm & post and handoffs: find the object inside the user's account, call one service,
serialize."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from drafting.kinds import DraftKind
from flowpilot.api import EVENT_STREAM_RENDERERS, event_stream
from flowpilot.schema import error_response
from handoff import selectors, services
from handoff.events import handoff_events
from handoff.models import Handoff
from handoff.serializers import (
    HandoffPostedSerializer,
    HandoffPostSerializer,
    HandoffRetrySerializer,
    HandoffSerializer,
)
from sessions.api import AccountScoped

QUEUE_UNAVAILABLE = error_response("The task queue is unreachable: nothing was started.")


class HandoffPostView(AccountScoped, APIView):
    """`…/resolution-note/post` and `…/escalation-package/post`: Confirm & post (the URLconf sets `kind`)."""

    kind: DraftKind | None = None

    @extend_schema(request=HandoffPostSerializer, responses={202: HandoffPostedSerializer, 503: QUEUE_UNAVAILABLE})
    def post(self, request, session_id):
        serializer = HandoffPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = self.get_session()
        warnings = services.post_warnings(session=session, kind=self.kind)  # posted as asked, and said
        handoff = services.handoff_post(session=session, kind=self.kind, user=request.user, **serializer.validated_data)
        return Response({**HandoffSerializer(handoff).data, "warnings": warnings}, status=status.HTTP_202_ACCEPTED)


class HandoffScoped:
    def get_handoff(self) -> Handoff:
        return selectors.handoff_for_user(self.request.user, self.kwargs["handoff_id"])


class HandoffDetail(HandoffScoped, APIView):
    @extend_schema(responses=HandoffSerializer)
    def get(self, request, handoff_id):
        return Response(HandoffSerializer(self.get_handoff()).data)


class HandoffRetry(HandoffScoped, APIView):
    @extend_schema(request=HandoffRetrySerializer, responses={202: HandoffSerializer, 503: QUEUE_UNAVAILABLE})
    def post(self, request, handoff_id):
        serializer = HandoffRetrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = services.handoff_retry(handoff=self.get_handoff(), user=request.user, **serializer.validated_data)
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_202_ACCEPTED)


class HandoffEvents(HandoffScoped, APIView):
    """`text/event-stream`: `done {state}` the moment the handoff succeeds or fails."""

    renderer_classes = EVENT_STREAM_RENDERERS

    @extend_schema(responses={(200, "text/event-stream"): OpenApiResponse(description="done {state}")})
    def get(self, request, handoff_id):
        return event_stream(handoff_events(self.get_handoff()))
