"""REST paths of the assistant, under a session."""

from django.urls import path

from assistant import api

session = "ai-sessions/<uuid:session_id>"
message = f"{session}/messages/<uuid:message_id>"

urlpatterns = [
    path(f"{session}/messages/", api.MessageListCreate.as_view(), name="api-messages"),
    path(f"{message}/", api.MessageDetail.as_view(), name="api-message"),
    path(f"{message}/stream", api.MessageStream.as_view(), name="api-message-stream"),
    path(f"{message}/retry", api.MessageRetry.as_view(), name="api-message-retry"),
    path(f"{session}/proposals/<uuid:proposal_id>/accept", api.ProposalAccept.as_view(), name="api-proposal-accept"),
    path(f"{session}/proposals/<uuid:proposal_id>/dismiss", api.ProposalDismiss.as_view(), name="api-proposal-dismiss"),
    path(f"{session}/facts/promote", api.FactPromote.as_view(), name="api-fact-promote"),
]
