"""The app's own OpenAPI document as schemathesis reads it, and what the fuzzing tests share with it."""

import requests
import schemathesis
from django.core.handlers.wsgi import WSGIHandler

# Strings that broke, or often break, something: offered now and then in place of generated text. NUL
# (PostgreSQL refuses it), digits int() refuses or reads, a ticket ref, direction and width tricks, line
# separators, template and format syntax, markup, SQL and path fragments, an astral character.
NAUGHTY_STRINGS = [
    "\x00",
    "a\x00b",
    "\u00b2",
    "#\u00b2",
    "\u0661\u0662",
    "#1001",
    "99999999999999999999999",
    "-1",
    " ",
    "\u202e",
    "\u200b",
    "\u2028",
    "\r\n",
    "{{ value }}",
    "%s%(x)s{0}",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "../../etc/passwd",
    "\U0001f642",
]

CONFIG = schemathesis.Config.from_dict(
    {
        "dictionaries": {"naughty": {"values": NAUGHTY_STRINGS}},
        "generation": {"dictionaries": {"string": {"dictionary": "naughty", "probability": 0.25}}},
    }
)

# Loaded once, when the tests are collected: serving /api/schema/ touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=CONFIG)


def assert_documented(response, method: str, path: str) -> None:
    """A Django test client's `response` is an answer the schema documents for `method path` (the path
    as the schema spells it): its status code, and a body that matches the schema for that status."""
    operation = schema[path][method]
    assert operation.responses.find_by_status_code(response.status_code) is not None, (
        f"{method} {path} does not document {response.status_code}"
    )
    answer = schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request(method, f"http://testserver{response.wsgi_request.get_full_path()}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    operation.validate_response(answer)
