from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken

from accounts.api import AccountSettingsView
from handoff import api as handoff_api
from handoff.kinds import DraftKind
from psa.api import PsaConnectionTestView, PsaConnectionView
from sessions import api as session_api


def drafting_paths(kind: DraftKind) -> list:
    """Preview and Confirm & post for one kind: `ai-sessions/{id}/resolution-note/preview` is named
    `api-resolution-preview`, and so on."""
    prefix = f"ai-sessions/<uuid:session_id>/{kind.url_slug}"
    return [
        path(f"{prefix}/preview", handoff_api.PreviewView.as_view(kind=kind), name=f"api-{kind.short_name}-preview"),
        path(f"{prefix}/post", handoff_api.HandoffPostView.as_view(kind=kind), name=f"api-{kind.short_name}-post"),
    ]


api = [
    path("auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("ai-sessions/", session_api.SessionListCreate.as_view(), name="api-sessions"),
    path("ai-sessions/<uuid:session_id>/", session_api.SessionDetail.as_view(), name="api-session"),
    path("ai-sessions/<uuid:session_id>/facts/", session_api.FactListCreate.as_view(), name="api-facts"),
    path("ai-sessions/<uuid:session_id>/facts/<int:fact_id>/", session_api.FactDetail.as_view(), name="api-fact"),
    path(
        "ai-sessions/<uuid:session_id>/diagnostic-checks/",
        session_api.DiagnosticCheckListCreate.as_view(),
        name="api-checks",
    ),
    path(
        "ai-sessions/<uuid:session_id>/suggested-fixes/",
        session_api.SuggestedFixListCreate.as_view(),
        name="api-fixes",
    ),
    path(
        "ai-sessions/<uuid:session_id>/suggested-fixes/<int:fix_id>/",
        session_api.SuggestedFixDetail.as_view(),
        name="api-fix",
    ),
    path(
        "ai-sessions/<uuid:session_id>/script-generations/",
        session_api.ScriptGenerationListCreate.as_view(),
        name="api-script-generations",
    ),
    *drafting_paths(DraftKind.RESOLUTION_NOTE),
    *drafting_paths(DraftKind.ESCALATION_PACKAGE),
    path("handoffs/<uuid:handoff_id>/", handoff_api.HandoffDetail.as_view(), name="api-handoff"),
    path("handoffs/<uuid:handoff_id>/retry", handoff_api.HandoffRetry.as_view(), name="api-handoff-retry"),
    path("script-templates/", session_api.ScriptTemplateListCreate.as_view(), name="api-script-templates"),
    path("account/settings/", AccountSettingsView.as_view(), name="api-account-settings"),
    path("account/psa-connection/", PsaConnectionView.as_view(), name="api-psa-connection"),
    path("account/psa-connection/test", PsaConnectionTestView.as_view(), name="api-psa-connection-test"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "flowpilot.api.not_found"

urlpatterns = [
    path("", include("sessions.urls")),
    path("", include("handoff.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
