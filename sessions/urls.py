from django.urls import path

from sessions import views

session = "sessions/<uuid:session_id>"

urlpatterns = [
    path("", views.home, name="home"),
    path("sessions/new/", views.session_new, name="session-new"),
    path(f"{session}/", views.workspace, name="workspace"),
    path(f"{session}/ticket/", views.ticket_status, name="ticket-status"),
    path(f"{session}/edit/", views.session_edit, name="session-edit"),
    path(f"{session}/facts/", views.fact_add, name="fact-add"),
    path(f"{session}/facts/<int:fact_id>/", views.fact_row, name="fact-row"),
    path(f"{session}/facts/<int:fact_id>/edit/", views.fact_edit, name="fact-edit"),
    path(f"{session}/facts/<int:fact_id>/delete/", views.fact_delete, name="fact-delete"),
    path(f"{session}/checks/", views.check_add, name="check-add"),
    path(f"{session}/fix/", views.fix_set, name="fix-set"),
    path(f"{session}/fix/<int:fix_id>/outcome/", views.fix_outcome, name="fix-outcome"),
    path(f"{session}/scripts/", views.scripts, name="scripts"),
]
