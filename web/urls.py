"""The engineer's pages: the session list and workspace (`web.views`), its wrap-up area (`web.wrapup`), and the
account pages (`web.account`), signing in and the second factor (`web.signin`)."""

from django.urls import path, register_converter

from drafting.kinds import DraftKindConverter
from web import account, assistant, signin, views, wrapup

register_converter(DraftKindConverter, "draftkind")

session = "sessions/<uuid:session_id>"
proposal = f"{session}/assistant/proposals/<uuid:proposal_id>"

urlpatterns = [
    path("", views.home, name="home"),
    # Signing in, with the second factor (web.signin)
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/login/code/", signin.sign_in_code, name="login-code"),
    path("accounts/mfa/", signin.mfa, name="mfa"),
    path("accounts/mfa/confirm/", signin.mfa_confirm, name="mfa-confirm"),
    path("accounts/mfa/disable/", signin.mfa_disable, name="mfa-disable"),
    path("sessions/new/", views.session_new, name="session-new"),
    path(f"{session}/", views.workspace, name="workspace"),
    path(f"{session}/ticket/", views.ticket_status, name="ticket-status"),
    path(f"{session}/ticket/context/", views.ticket_context, name="ticket-context"),
    path(f"{session}/ticket/notes/fact/", views.ticket_note_fact, name="ticket-note-fact"),
    path(f"{session}/edit/", views.session_edit, name="session-edit"),
    path(f"{session}/facts/", views.fact_add, name="fact-add"),
    path(f"{session}/facts/<int:fact_id>/", views.fact_row, name="fact-row"),
    path(f"{session}/facts/<int:fact_id>/edit/", views.fact_edit, name="fact-edit"),
    path(f"{session}/facts/<int:fact_id>/delete/", views.fact_delete, name="fact-delete"),
    path(f"{session}/facts/<int:fact_id>/restore/", views.fact_restore, name="fact-restore"),
    path(f"{session}/checks/", views.check_add, name="check-add"),
    path(f"{session}/checks/<int:check_id>/", views.check_row, name="check-row"),
    path(f"{session}/checks/<int:check_id>/edit/", views.check_edit, name="check-edit"),
    path(f"{session}/checks/<int:check_id>/delete/", views.check_delete, name="check-delete"),
    path(f"{session}/checks/<int:check_id>/restore/", views.check_restore, name="check-restore"),
    path(f"{session}/fix/", views.fix_set, name="fix-set"),
    path(f"{session}/fix/<int:fix_id>/outcome/", views.fix_outcome, name="fix-outcome"),
    path(f"{session}/scripts/", views.scripts, name="scripts"),
    # The conversation with the assistant (web.assistant); its replies stream from the API
    path(f"{session}/assistant/messages/", assistant.message_send, name="assistant-send"),
    path(f"{session}/assistant/messages/<uuid:message_id>/", assistant.message, name="assistant-message"),
    path(f"{session}/assistant/messages/<uuid:message_id>/retry/", assistant.reply_retry, name="assistant-retry"),
    path(f"{proposal}/accept/", assistant.proposal_accept, name="proposal-accept"),
    path(f"{proposal}/dismiss/", assistant.proposal_dismiss, name="proposal-dismiss"),
    path(f"{session}/assistant/promote/", assistant.fact_promote, name="fact-promote"),
    path(f"{session}/wrap-up/prepare/", wrapup.prepare, name="wrap-up-prepare"),
    path(f"{session}/<draftkind:kind>/preview/", wrapup.preview, name="preview"),
    path(f"{session}/<draftkind:kind>/edit/", wrapup.draft_save, name="draft-save"),
    path(f"{session}/<draftkind:kind>/discard/", wrapup.draft_discard, name="draft-discard"),
    path(f"{session}/<draftkind:kind>/post/", wrapup.post, name="handoff-post"),
    path("handoffs/<uuid:handoff_id>/", wrapup.handoff_status, name="handoff-status"),
    path("handoffs/<uuid:handoff_id>/retry/", wrapup.handoff_retry, name="handoff-retry"),
    # The account pages (web.account): its people, its audit trail, and the invite a new member signs up with
    path("account/people/", account.people, name="people"),
    path("account/people/<int:user_id>/", account.person_update, name="person-update"),
    path("account/people/<int:user_id>/invite/", account.person_invite, name="person-invite"),
    path("account/audit/", account.audit, name="audit"),
    path("accounts/invite/<str:token>/", account.invite_accept, name="invite-accept"),
]
