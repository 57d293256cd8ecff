"""Project-wide REST plumbing: the JSON parser, pagination and the error envelope."""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse, StreamingHttpResponse
from django.views import defaults
from rest_framework import parsers, renderers, status
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from flowpilot.channel import as_sse
from flowpilot.errors import DomainError


class JSONParser(parsers.JSONParser):
    """DRF's parser, refusing a lone surrogate escape ("\\ud800"): JSON lets it through, but it is no
    character, so no UTF-8 text holds it: storing it, or even echoing it back in an error, would fail."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - an unpaired surrogate escape (\\ud800-\\udfff) is not text.") from None
        return data


class EventStreamRenderer(renderers.BaseRenderer):
    """Lets a client ask for `text/event-stream`; a refusal before the stream (a 404, say) is one error event."""

    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        code = data.get("code", "error") if isinstance(data, dict) else "error"
        return as_sse("error", {"code": code, "detail": str(detail)})


EVENT_STREAM_RENDERERS = [EventStreamRenderer, JSONRenderer]


def event_stream(events) -> StreamingHttpResponse:
    """A `text/event-stream` answer of the `events` generator, never buffered on its way."""
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front (nginx) must pass each event on at once
    return response


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1  # page 0 is a 404 like any page past the end
        return parameters


def exception_handler(exc, context):
    """DRF's handler, plus domain errors as `{"detail", "code"}` (with field errors for bad input)."""
    if isinstance(exc, DomainError):
        return Response(exc.body(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            {
                "detail": "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()),
                "code": "invalid",
                "errors": errors,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        # DRF's own refusals (401, 403, 404, a parse error…) carry their code too: {"detail", "code"}.
        response.data["code"] = getattr(response.data["detail"], "code", None) or "error"
    return response


def not_found(request, exception):
    """Django's 404 for URLs no view matched (`/api/ai-sessions/not-a-uuid/`): `{detail, code}` under
    /api/, like every other API answer; the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
