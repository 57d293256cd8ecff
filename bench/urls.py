"""The app's URLs plus the baseline: the cheapest authenticated DRF endpoint there can be. It goes
through the same authentication (a token) and permission (account member) as every API view, and
then does nothing."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from flowpilot.urls import urlpatterns as app_urlpatterns


class Ping(APIView):
    def get(self, request):
        return Response({"user": request.user.username})


urlpatterns = [path("api/bench/ping/", Ping.as_view(), name="bench-ping"), *app_urlpatterns]
