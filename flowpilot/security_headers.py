"""The one response header a security review expects that neither Django nor django-csp sets:
Permissions-Policy, denying the page the browser features FlowPilot never uses (settings.PERMISSIONS_POLICY)."""

from django.conf import settings


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` → `camera=(), fullscreen=(self)`: an empty list denies the
    feature to every origin, this page included."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


def permissions_policy(get_response):
    """Middleware: every response carries the Permissions-Policy header, unless a view set its own."""
    header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def middleware(request):
        response = get_response(request)
        if header:
            response.headers.setdefault("Permissions-Policy", header)
        return response

    return middleware
