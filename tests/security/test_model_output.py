"""Model output is untrusted: whatever HTML or script the model writes into a draft is shown as inert
text, in the API's `html` and in the web preview panel (drafted, regenerated, read back, on the
workspace page and after the engineer's edit). The Claude stub answers with each attack."""

import pytest
from django.urls import reverse

from drafting.kinds import DraftKind
from drafting.rendering import ALLOWED_TAGS
from tests.support.html import Elements, region

KIND = DraftKind.RESOLUTION_NOTE
ATTACKS = {
    "script": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "markdown javascript link": "[click](javascript:alert(1))",
    "javascript link with entities": "[click](&#106;avascript:alert(1))",
    "reference javascript link": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "html javascript link": '<a href="javascript:alert(1)">click</a>',
    "autolink": "<javascript:alert(1)>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "svg onload": "<svg onload=alert(1)><circle r=1 /></svg>",
    "style": "<style>body { display: none }</style>",
    "data url link": "[open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data url image": "![chart](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "object and embed": '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    "link title breaking out": '[docs](https://example.com "x\\" onmouseover=\\"alert(1)")',
}
DANGEROUS_ELEMENTS = {"script", "iframe", "object", "embed", "style", "svg", "math", "frame", "frameset", "base"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"}


class Rendered(Elements):
    """Every start tag of the HTML, and its text as a reader sees it."""

    def __init__(self, html: str):
        self.text = ""
        super().__init__(html)

    def handle_data(self, data):
        self.text += data


def answer(attack: str) -> str:
    sections = {"Problem": f"The user saw this: {attack}", "What we confirmed": f"- {attack}", "Root cause": "C."}
    return "\n\n".join(f"## {heading}\n\n{text}" for heading, text in {**sections, "Resolution": "D."}.items())


def assert_inert(html: str) -> Rendered:
    rendered = Rendered(html)
    for tag, attributes, _form in rendered.tags:
        assert tag not in DANGEROUS_ELEMENTS, tag
        for name, value in attributes.items():
            assert not name.startswith(("on", "hx-on")), f"<{tag} {name}>"
            if name in URL_ATTRIBUTES:
                scheme = "".join(value.split()).lower().split(":")[0]
                assert scheme not in ("javascript", "data", "vbscript"), f"<{tag} {name}={value}>"
    return rendered


def panel_of(response) -> str:
    return region(response.content.decode(), "preview-panel")


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS)
def test_a_draft_with_html_or_script_is_shown_inert_in_the_api_and_the_panel(
    model_on, bob_api, bob_web, session_a, attack
):
    model_on.reply_with({"text": answer(attack)}, {"text": answer(attack)})
    preview_url = reverse("preview", args=[session_a.pk, KIND])

    drafted = bob_api.post(reverse("api-resolution-preview", args=[session_a.pk]), {}, format="json").json()
    regenerated = bob_web.post(preview_url, {"force": "1"}, HTTP_HX_REQUEST="true")
    read_back = bob_web.get(preview_url, HTTP_HX_REQUEST="true")

    assert drafted["drafted_by"] == "claude-sonnet-5-5"  # the model's answer, not the offline drafter's
    assert model_on.call_count == 2
    api_html = assert_inert(drafted["html"])
    assert {tag for tag, _attributes, _form in api_html.tags} <= ALLOWED_TAGS
    for response in (regenerated, read_back):
        assert response.status_code == 200
        shown = assert_inert(panel_of(response))
        assert "The user saw this:" in shown.text
    if attack.startswith("<"):  # raw HTML: shown to the engineer as the text the model wrote
        assert attack in api_html.text


def test_every_attack_at_once_is_inert_on_the_workspace_page_and_after_the_engineers_edit(
    model_on, bob_api, bob_web, session_a
):
    markdown = answer("\n\n".join(ATTACKS.values()))
    model_on.reply_with({"text": markdown})
    workspace = reverse("workspace", args=[session_a.pk])

    bob_api.post(reverse("api-resolution-preview", args=[session_a.pk]), {}, format="json")
    drafted = bob_web.get(workspace, {"preview": KIND.url_slug})
    edited = bob_web.post(
        reverse("draft-save", args=[session_a.pk, KIND]),
        {"markdown": markdown, "based_on_state_version": session_a.state_version},
        HTTP_HX_REQUEST="true",
    )
    edited_page = bob_web.get(workspace, {"preview": KIND.url_slug})

    assert "Drafted by claude-sonnet-5-5" in drafted.content.decode()
    assert "Edited by bob" in edited_page.content.decode()
    for response in (drafted, edited, edited_page):
        assert "<script>alert(1)</script>" in assert_inert(panel_of(response)).text
