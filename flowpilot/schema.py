"""The OpenAPI schema's error answers, declared once for every operation (DESIGN §5): a client, and the
fuzzer in tests/fuzz, can rely on every status code and body the API sends being documented."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")
    code = serializers.CharField(help_text='A stable code to branch on: "not_found", "session_closed", …')


class InvalidInputSerializer(ErrorSerializer):
    errors = serializers.DictField(child=serializers.JSONField(), required=False, help_text="Messages per field.")


# A serializer's own refusal names the fields: {"title": ["This field is required."]}, nested for nested input.
# (`items: {}` says any item: a generated client cannot read an array whose items are not described.)
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {}}, {"type": "object"}]},
}

PAGINATION_PARAMETERS = {"page", "page_size"}

ERRORS = {
    400: "The input was refused: {detail, code, errors}, or the fields' own messages.",
    401: "Not signed in: no token or session, or an invalid one.",
    403: "Not allowed: only an account admin may do this, or the user belongs to no account.",
    404: "No such object in your account (another account's are not found either), or no such page.",
    409: "A rule refused it: the session is closed, a post is already in progress, …",
    415: "The body's Content-Type is not one this operation reads (application/json).",
}


def error_response(description: str) -> OpenApiResponse:
    """A `{detail, code}` answer, for an operation's own error statuses in `@extend_schema(responses=…)`."""
    return OpenApiResponse(ErrorSerializer, description=description)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the errors each operation can answer. An operation's own
    `@extend_schema` responses win; statuses only some views answer (503) are declared there."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            for status in self._error_statuses(operation):
                operation["responses"].setdefault(str(status), self._error_response(status))
        return operation

    def _error_statuses(self, operation: dict) -> list[int]:
        parameters = operation.get("parameters", [])
        has_path_ids = any(p["in"] == "path" for p in parameters)
        query = {p["name"] for p in parameters if p["in"] == "query"}
        statuses = [401, 403]  # a wrong token is refused anywhere; so is a session login without its CSRF token
        if "requestBody" in operation or query - PAGINATION_PARAMETERS:
            statuses.append(400)
        if "requestBody" in operation:
            statuses.append(415)
        if has_path_ids or query & PAGINATION_PARAMETERS:
            statuses.append(404)
        if has_path_ids and self.method not in ("GET", "HEAD"):
            statuses.append(409)
        return sorted(statuses)

    def _error_response(self, status: int) -> dict:
        body = self.resolve_serializer(ErrorSerializer, "response").ref
        if status == 400:
            body = {"anyOf": [self.resolve_serializer(InvalidInputSerializer, "response").ref, FIELD_ERRORS]}
        return {"description": ERRORS[status], "content": {"application/json": {"schema": body}}}


class StrictInputExtension(OpenApiSerializerExtension):
    """A strict serializer answers an unknown key with 400, so its request body says `additionalProperties: false`."""

    target_class = "flowpilot.serializers.StrictInputMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
