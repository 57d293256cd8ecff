"""The keyboard shortcuts' help: on every signed-in page, offered only to JavaScript (which runs the shortcuts),
and never part of a region htmx swaps. The shortcuts themselves are driven in tests/browser/test_comfort.py."""

from django.test import Client
from django.urls import reverse

from tests.support.html import Elements, hx_get, region, text


def test_it_is_on_the_list_and_the_workspace_with_its_button_shown_only_to_javascript(bob_web, session_a):
    for url in (reverse("home"), reverse("workspace", args=[session_a.pk])):
        html = text(bob_web.get(url))

        help_dialog = region(html, "shortcuts-help")
        assert help_dialog.startswith('<dialog id="shortcuts-help"')
        assert 'aria-labelledby="shortcuts-help-h"' in help_dialog
        assert '<form method="dialog"' in help_dialog
        [button] = [attrs for attrs in Elements(html).all("button") if "data-shortcuts-help" in attrs]
        assert "js-only" in button["class"].split()
        scripts = [attrs["src"] for attrs in Elements(html).all("script") if "defer" in attrs]
        assert scripts[-2:] == ["/static/js/app.js", "/static/js/shortcuts.js"]


def test_it_is_not_offered_before_signing_in(db):
    html = text(Client().get(reverse("login")))

    assert "shortcuts-help" not in html


def test_an_htmx_search_answers_the_results_without_it(bob_web, session_a):
    html = text(hx_get(bob_web, reverse("home"), {"q": "Outlook"}))

    assert session_a.title in html
    assert "shortcuts-help" not in html
