from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken

from accounts.api import AccountSettingsView
from handoff import api as handoff_api
from psa.api import PsaConnectionTestView, PsaConnectionView
from sessions import api as session_api

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
    path(
        "ai-sessions/<uuid:session_id>/resolution-note/preview",
        handoff_api.ResolutionNotePreview.as_view(),
        name="api-resolution-preview",
    ),
    path(
        "ai-sessions/<uuid:session_id>/escalation-package/preview",
        handoff_api.EscalationPackagePreview.as_view(),
        name="api-escalation-preview",
    ),
    path(
        "ai-sessions/<uuid:session_id>/resolution-note/post",
        handoff_api.ResolutionNotePost.as_view(),
        name="api-resolution-post",
    ),
    path(
        "ai-sessions/<uuid:session_id>/escalation-package/post",
        handoff_api.EscalationPackagePost.as_view(),
        name="api-escalation-post",
    ),
    path("handoffs/<uuid:handoff_id>/", handoff_api.HandoffDetail.as_view(), name="api-handoff"),
    path("handoffs/<uuid:handoff_id>/retry", handoff_api.HandoffRetry.as_view(), name="api-handoff-retry"),
    path("script-templates/", session_api.ScriptTemplateListCreate.as_view(), name="api-script-templates"),
    path("account/settings/", AccountSettingsView.as_view(), name="api-account-settings"),
    path("account/psa-connection/", PsaConnectionView.as_view(), name="api-psa-connection"),
    path("account/psa-connection/test", PsaConnectionTestView.as_view(), name="api-psa-connection-test"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("sessions.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
