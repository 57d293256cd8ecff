"""REST paths of the session domain."""

from django.urls import path

from sessions import api

session = "ai-sessions/<uuid:session_id>"

urlpatterns = [
    path("ai-sessions/", api.SessionListCreate.as_view(), name="api-sessions"),
    path(f"{session}/", api.SessionDetail.as_view(), name="api-session"),
    path(f"{session}/facts/", api.FactListCreate.as_view(), name="api-facts"),
    path(f"{session}/facts/<int:fact_id>/", api.FactDetail.as_view(), name="api-fact"),
    path(f"{session}/diagnostic-checks/", api.DiagnosticCheckListCreate.as_view(), name="api-checks"),
    path(f"{session}/diagnostic-checks/<int:check_id>/", api.DiagnosticCheckDetail.as_view(), name="api-check"),
    path(f"{session}/suggested-fixes/", api.SuggestedFixListCreate.as_view(), name="api-fixes"),
    path(f"{session}/suggested-fixes/<int:fix_id>/", api.SuggestedFixDetail.as_view(), name="api-fix"),
    path(f"{session}/script-generations/", api.ScriptGenerationListCreate.as_view(), name="api-script-generations"),
    path("script-templates/", api.ScriptTemplateListCreate.as_view(), name="api-script-templates"),
]
