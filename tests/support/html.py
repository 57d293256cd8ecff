"""Helpers for HTMX requests, their response headers and the HTML a user would see."""

import json
import re
from html.parser import HTMLParser

HX = {"HTTP_HX_REQUEST": "true"}


def hx_get(client, url, data=None, **extra):
    return client.get(url, data, **HX, **extra)


def hx_post(client, url, data=None, **extra):
    return client.post(url, data or {}, **HX, **extra)


def text(response) -> str:
    return response.content.decode()


def triggers(response) -> dict:
    """The events of the HX-Trigger header ({} when there is none)."""
    return json.loads(response.get("HX-Trigger") or "{}")


OOB_TOASTS = re.compile(r'<div id="toasts" hx-swap-oob="beforeend">(.*?)</div>\s*$', re.S)


def oob_toasts(response) -> str:
    """The out-of-band toasts an HTMX response ends with ("" when there are none)."""
    match = OOB_TOASTS.search(text(response))
    return match.group(1) if match else ""


def page_toasts(html: str) -> str:
    """The toasts region of a whole page."""
    start = html.index('<div id="toasts" class="toasts"')
    return html[start : html.index("</body>")]


def region(html: str, element_id: str) -> str:
    """The outer HTML of the element with this id (same-tag nesting counted)."""
    start = re.search(rf'<(\w+)[^>]*\sid="{re.escape(element_id)}"', html)
    assert start, f"no element #{element_id} in the HTML"
    tag = start.group(1)
    depth, position = 0, start.start()
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start.start() :]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return html[position : start.start() + match.end()]
    raise AssertionError(f"#{element_id} is never closed")


class Elements(HTMLParser):
    """Every start tag of a document, with its attributes and the forms it sits in."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict, int | None]] = []  # (tag, attributes, index of its form)
        self.forms: list[dict] = []
        self._open_form: int | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.forms.append({**attributes, "_fields": []})
            self._open_form = len(self.forms) - 1
        if self._open_form is not None and tag in ("input", "select", "textarea", "button"):
            self.forms[self._open_form]["_fields"].append((tag, attributes))
        self.tags.append((tag, attributes, self._open_form))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open_form = None

    def all(self, *names: str) -> list[dict]:
        return [attributes for tag, attributes, _form in self.tags if tag in names]

    @property
    def post_forms(self) -> list[dict]:
        return [form for form in self.forms if form.get("method", "get").lower() == "post"]
