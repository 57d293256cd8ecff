"""REST views of the session domain: find the object inside the user's account, call one service,
serialize. Another account's objects are 404 because they are never in the queryset."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.permissions import IsAccountAdminForWrites
from accounts.selectors import account_for
from flowpilot.errors import InvalidInput
from flowpilot.schema import ErrorSerializer
from sessions import selectors, services
from sessions.models import DiagnosticCheck, Fact, Session, SuggestedFix
from sessions.serializers import (
    DiagnosticCheckSerializer,
    FactSerializer,
    FixOutcomeSerializer,
    ScriptGenerationRequestSerializer,
    ScriptGenerationResultSerializer,
    ScriptGenerationSerializer,
    ScriptTemplateSerializer,
    SessionDetailSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    SuggestedFixSerializer,
)


class AccountScoped:
    @property
    def account(self):
        return account_for(self.request.user)

    def get_session(self) -> Session:
        return selectors.session_for_user(self.request.user, self.kwargs["session_id"])

    def validated(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    def create_in_session(self, service, **extra) -> Response:
        """POST under a session: validate with the view's serializer, call `service`, answer 201."""
        session = self.get_session()
        serializer = self.validated(self.serializer_class)
        created = service(session=session, **extra, **serializer.validated_data)
        return Response(self.serializer_class(created).data, status=status.HTTP_201_CREATED)


class TicketInUseSerializer(ErrorSerializer):
    session = serializers.UUIDField(help_text="The open session that works the ticket.")


TICKET_IN_USE = OpenApiResponse(
    TicketInUseSerializer, description="`ticket_in_use`: another open session of the account works this ticket."
)


class SessionListCreate(AccountScoped, generics.ListCreateAPIView):
    serializer_class = SessionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", bool, description="Only the sessions I created."),
            OpenApiParameter("status", str, enum=["open", "closed", "resolved", "escalated"]),
            OpenApiParameter("q", str, description="Search titles, or a ticket number."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        status_filter = params.get("status", "")
        if status_filter not in ("", "open", "closed", *Session.Status.values):
            raise InvalidInput("status must be open, closed, resolved or escalated.", field="status")
        return selectors.session_list(
            account=self.account,
            user=self.request.user if params.get("mine") in ("1", "true") else None,
            status=status_filter,
            query=params.get("q", "")[:200],
        )

    @extend_schema(responses={201: SessionSerializer, 409: TICKET_IN_USE})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.validated(SessionSerializer)
        session = services.session_create(account=self.account, user=request.user, **serializer.service_kwargs())
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetail(AccountScoped, generics.RetrieveUpdateAPIView):
    serializer_class = SessionDetailSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return selectors.session_for_user(self.request.user, self.kwargs["session_id"], detail=True)

    @extend_schema(responses={200: SessionUpdateSerializer, 409: TICKET_IN_USE})
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        """A newly linked ticket is checked with the PSA, as on the page: one it does not know is a 400, one it
        could not confirm is linked with `warnings`."""
        session = self.get_session()
        serializer = self.validated(SessionSerializer, partial=True)
        warnings = services.session_edit(session=session, changes=serializer.service_kwargs())
        return Response({**SessionDetailSerializer(self.get_object()).data, "warnings": warnings})


class FactListCreate(AccountScoped, generics.ListCreateAPIView):
    serializer_class = FactSerializer

    def get_queryset(self):
        return Fact.objects.live().filter(session=self.get_session())

    def create(self, request, *args, **kwargs):
        return self.create_in_session(services.fact_add, user=request.user)


class FactDetail(AccountScoped, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = FactSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        facts = Fact.objects.live().select_related("session").filter(session=self.get_session())
        return get_object_or_404(facts, pk=self.kwargs["fact_id"])

    def partial_update(self, request, *args, **kwargs):
        fact = self.get_object()
        serializer = self.validated(FactSerializer, partial=True)
        fact = services.fact_update(fact=fact, changes=serializer.validated_data)
        return Response(FactSerializer(fact).data)

    def perform_destroy(self, instance):
        services.fact_delete(fact=instance)


class DiagnosticCheckListCreate(AccountScoped, generics.ListCreateAPIView):
    serializer_class = DiagnosticCheckSerializer

    def get_queryset(self):
        return DiagnosticCheck.objects.live().filter(session=self.get_session())

    def create(self, request, *args, **kwargs):
        return self.create_in_session(services.check_record)


class DiagnosticCheckDetail(AccountScoped, generics.RetrieveUpdateDestroyAPIView):
    """One check, edited or deleted as a fact is: DELETE is soft, and a deleted check is gone (404)."""

    serializer_class = DiagnosticCheckSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        checks = DiagnosticCheck.objects.live().select_related("session").filter(session=self.get_session())
        return get_object_or_404(checks, pk=self.kwargs["check_id"])

    def partial_update(self, request, *args, **kwargs):
        check = self.get_object()
        serializer = self.validated(DiagnosticCheckSerializer, partial=True)
        check = services.check_update(check=check, changes=serializer.validated_data)
        return Response(DiagnosticCheckSerializer(check).data)

    def perform_destroy(self, instance):
        services.check_delete(check=instance)


class SuggestedFixListCreate(AccountScoped, generics.ListCreateAPIView):
    """All fixes of the session, newest first; POST makes the new fix the active one."""

    serializer_class = SuggestedFixSerializer

    def get_queryset(self):
        return self.get_session().fixes.all()

    def create(self, request, *args, **kwargs):
        return self.create_in_session(services.fix_set, user=request.user)


class SuggestedFixDetail(AccountScoped, generics.RetrieveUpdateAPIView):
    serializer_class = SuggestedFixSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        fixes = SuggestedFix.objects.select_related("session").filter(session=self.get_session())
        return get_object_or_404(fixes, pk=self.kwargs["fix_id"])

    @extend_schema(request=FixOutcomeSerializer, responses=SuggestedFixSerializer)
    def patch(self, request, *args, **kwargs):
        fix = self.get_object()
        serializer = self.validated(FixOutcomeSerializer)
        fix = services.fix_record_outcome(fix=fix, **serializer.validated_data)
        return Response(SuggestedFixSerializer(fix).data)


class ScriptGenerationListCreate(AccountScoped, generics.ListCreateAPIView):
    serializer_class = ScriptGenerationSerializer

    def get_queryset(self):
        return self.get_session().script_generations.select_related("template")

    @extend_schema(request=ScriptGenerationRequestSerializer, responses={201: ScriptGenerationResultSerializer})
    def post(self, request, *args, **kwargs):
        session = self.get_session()
        serializer = self.validated(ScriptGenerationRequestSerializer)
        template = selectors.template_by_slug(account=self.account, slug=serializer.validated_data["template"])
        if template is None:
            raise InvalidInput("No script template with this slug in your account.", field="template")
        rendered, generation = services.script_generate(
            session=session, user=request.user, template=template, parameters=serializer.validated_data["parameters"]
        )
        body = {"script": rendered.script, "generation": ScriptGenerationSerializer(generation).data}
        return Response(body, status=status.HTTP_201_CREATED)


class ScriptTemplateListCreate(AccountScoped, generics.ListCreateAPIView):
    """Everyone in the account reads the templates; only admins add them."""

    serializer_class = ScriptTemplateSerializer
    permission_classes = [IsAccountAdminForWrites]

    def get_queryset(self):
        return selectors.template_list(account=self.account)

    def create(self, request, *args, **kwargs):
        serializer = self.validated(ScriptTemplateSerializer)
        template = services.template_create(account=self.account, actor=request.user, **serializer.validated_data)
        return Response(ScriptTemplateSerializer(template).data, status=status.HTTP_201_CREATED)
