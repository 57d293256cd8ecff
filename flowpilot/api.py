"""Project-wide REST plumbing: pagination and the error envelope."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from flowpilot.errors import DomainError, InvalidInput


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    """DRF's handler, plus domain errors as `{"detail", "code"}` (with field errors for bad input)."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if isinstance(exc, InvalidInput) and exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status)
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
    return drf_exception_handler(exc, context)
