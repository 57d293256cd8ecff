"""REST views of the assistant (DESIGN §10): find the object inside the user's account, call one service,
serialize. The stream is `text/event-stream`, for the browser and for REST clients alike."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import selectors, services
from assistant.events import reply_stream
from assistant.serializers import (
    MessageSendSerializer,
    MessageSentSerializer,
    MessageSerializer,
    PromotedSerializer,
    PromoteSerializer,
    ProposalAcceptSerializer,
    ProposalDecidedSerializer,
    ProposalSerializer,
)
from flowpilot.api import EVENT_STREAM_RENDERERS, Pagination, event_stream
from flowpilot.schema import ErrorSerializer
from sessions import selectors as session_selectors

CONFLICT = OpenApiResponse(ErrorSerializer, description="`assistant_busy`, `session_closed`, `proposal_decided`, …")


class InSession:
    def get_session(self):
        return session_selectors.session_for_user(self.request.user, self.kwargs["session_id"])

    def validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class MessageListCreate(InSession, generics.ListAPIView):
    serializer_class = MessageSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.transcript_of(self.get_session())

    @extend_schema(
        request=MessageSendSerializer,
        responses={202: MessageSentSerializer, 400: ErrorSerializer, 409: CONFLICT},
    )
    def post(self, request, session_id):
        session = self.get_session()
        message, reply = services.message_send(
            session=session, user=request.user, text=self.validated(MessageSendSerializer)["text"]
        )
        return Response(MessageSentSerializer({"message": message, "reply": reply}).data, status=202)


class MessageDetail(InSession, generics.RetrieveAPIView):
    serializer_class = MessageSerializer

    def get_object(self):
        return selectors.message_in(self.get_session(), self.kwargs["message_id"])


class MessageStream(InSession, APIView):
    renderer_classes = EVENT_STREAM_RENDERERS

    @extend_schema(responses={(200, "text/event-stream"): OpenApiResponse(description="delta, proposal, done, error")})
    def get(self, request, session_id, message_id):
        return event_stream(reply_stream(selectors.message_in(self.get_session(), message_id)))


class MessageRetry(InSession, APIView):
    @extend_schema(request=None, responses={202: MessageSerializer, 409: CONFLICT})
    def post(self, request, session_id, message_id):
        reply = services.reply_retry(reply=selectors.message_in(self.get_session(), message_id))
        return Response(MessageSerializer(reply).data, status=status.HTTP_202_ACCEPTED)


class ProposalAccept(InSession, APIView):
    @extend_schema(
        request=ProposalAcceptSerializer,
        responses={200: ProposalDecidedSerializer, 400: ErrorSerializer, 409: CONFLICT},
    )
    def post(self, request, session_id, proposal_id):
        proposal = selectors.proposal_in(self.get_session(), proposal_id)
        payload = self.validated(ProposalAcceptSerializer).get("payload")
        decided, result = services.proposal_accept(proposal=proposal, user=request.user, payload=payload)
        return Response({"proposal": ProposalSerializer(decided).data, "result": result})


class ProposalDismiss(InSession, APIView):
    @extend_schema(request=None, responses={200: ProposalDecidedSerializer, 409: CONFLICT})
    def post(self, request, session_id, proposal_id):
        proposal = selectors.proposal_in(self.get_session(), proposal_id)
        decided = services.proposal_dismiss(proposal=proposal, user=request.user)
        return Response({"proposal": ProposalSerializer(decided).data, "result": None})


class FactPromote(InSession, APIView):
    @extend_schema(request=PromoteSerializer, responses={200: PromotedSerializer, 400: ErrorSerializer})
    def post(self, request, session_id):
        text = services.fact_promote(session=self.get_session(), text=self.validated(PromoteSerializer)["text"])
        return Response({"text": text})
