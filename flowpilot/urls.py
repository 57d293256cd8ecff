"""The site's URL map. Each app's paths are included by module name, so this bottom layer imports none of
the apps above it."""

from csp.constants import SELF
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api = [
    path("", include("sessions.urls")),
    path("", include("drafting.urls")),
    path("", include("assistant.urls")),
    path("", include("handoff.urls")),
    path("", include("accounts.urls")),
    path("", include("psa.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI within the Content-Security-Policy: its init script comes from this same URL (?script) and its
    # styles from a file (web/templates/api/swagger_ui.html), so nothing on it is inline. Its icons are data:
    # SVG images, allowed on this page alone (an image runs no script).
    path(
        "docs/",
        csp_update({"img-src": [SELF, "data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")
        ),
        name="api-docs",
    ),
]

handler404 = "flowpilot.api.not_found"

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
