"""REST paths of the account's PSA connection."""

from django.urls import path

from psa.api import PsaConnectionTestView, PsaConnectionView

urlpatterns = [
    path("account/psa-connection/", PsaConnectionView.as_view(), name="api-psa-connection"),
    path("account/psa-connection/test", PsaConnectionTestView.as_view(), name="api-psa-connection-test"),
]
