"""What the server-rendered views share: HTMX fragments that carry their toasts, pages that answer
htmx history restores, and domain errors shown where the engineer is looking."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html

from flowpilot.errors import DomainError


def render_page(request, template_name: str, context: dict, *, partial: str) -> HttpResponse:
    """The page, or only its `partial` region for HTMX. When htmx restores history it asks with HX-Request
    too, but wants the whole page; and the two answers share a URL, so caches must tell them apart."""
    wants_region = request.htmx and not request.htmx.history_restore_request
    response = render(request, f"{template_name}#{partial}" if wants_region else template_name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def fragment(request, template_name: str, context: dict, *, status: int = 200, also: tuple = ()) -> HttpResponse:
    """An HTMX fragment (then the templates in `also`, out-of-band swaps) followed by the pending messages
    as out-of-band toasts."""
    html = "".join(render_to_string(name, context, request=request) for name in (template_name, *also))
    html += render_to_string("toasts.html", {"oob": True}, request=request)
    return HttpResponse(html, status=status)


def int_or(value, default=None):
    """A whole number from a query or form value, or `default` when it is missing or not one."""
    return int(value) if value and str(value).isdigit() else default


def submit(form, action) -> bool:
    """Run `action(**form.cleaned_data)` when the form is valid. A domain error becomes a form error on
    the field it names (or on the form), so the engineer sees it next to what they typed."""
    if not form.is_valid():
        return False
    try:
        action(**form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True


def add_domain_error(form, exc: DomainError) -> None:
    errors = getattr(exc, "errors", None) or {}
    nested = errors.get("parameters") if isinstance(errors.get("parameters"), dict) else None
    if nested:  # script parameters: {"parameters": {key: [messages]}}
        for key, field_messages in nested.items():
            form.add_error(key if key in form.fields else None, " ".join(field_messages))
        return
    message = exc.message
    if exc.link:  # where to sort it out, next to the error: "… Open “Outlook loop”"
        message = format_html('{} <a href="{}">{}</a>', exc.message, exc.link[1], exc.link[0])
    form.add_error(exc.field if exc.field in form.fields else None, message)


def toast_error(request, exc: DomainError) -> None:
    messages.error(request, exc.message)
