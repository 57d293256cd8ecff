"""REST views of the session domain: find the object inside the user's account, call one service,
serialize. Another account's objects are 404 because they are never in the queryset."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from accounts.permissions import IsAccountAdminForWrites
from accounts.selectors import account_for
from flowpilot.errors import InvalidInput
from sessions import selectors, services
from sessions.models import Fact, ScriptTemplate, Session, SuggestedFix
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

    def create(self, request, *args, **kwargs):
        serializer = self.validated(SessionSerializer)
        session = services.session_create(account=self.account, user=request.user, **serializer.service_kwargs())
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetail(AccountScoped, generics.RetrieveUpdateAPIView):
    serializer_class = SessionDetailSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return selectors.session_for_user(self.request.user, self.kwargs["session_id"], detail=True)

    def partial_update(self, request, *args, **kwargs):
        session = self.get_session()
        serializer = self.validated(SessionSerializer, partial=True)
        services.session_update(session=session, changes=serializer.service_kwargs())
        return Response(SessionDetailSerializer(self.get_object()).data)


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
        return self.get_session().checks.all()

    def create(self, request, *args, **kwargs):
        return self.create_in_session(services.check_record)


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
        template = ScriptTemplate.objects.filter(
            account=self.account, slug=serializer.validated_data["template"]
        ).first()
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
        template = services.template_create(account=self.account, **serializer.validated_data)
        return Response(ScriptTemplateSerializer(template).data, status=status.HTTP_201_CREATED)
