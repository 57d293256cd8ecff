"""The session list and detail cost the same number of queries with 5 facts as with 500."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions import services
from sessions.models import DiagnosticCheck, Fact
from tests.support.clients import web_client_for


def fill(session, user, n):
    Fact.objects.bulk_create(Fact(session=session, created_by=user, text=f"Fact {i}") for i in range(n))
    DiagnosticCheck.objects.bulk_create(
        DiagnosticCheck(session=session, name=f"check {i}", result="passed") for i in range(n // 5 or 1)
    )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_session_detail_query_count_does_not_grow_with_facts(bob_api, account_a, bob, template_a):
    small = services.session_create(account=account_a, user=bob, title="Small")
    large = services.session_create(account=account_a, user=bob, title="Large")
    fill(small, bob, 5)
    fill(large, bob, 500)
    for session in (small, large):
        services.fix_set(session=session, user=bob, title="Fix", confidence_pct=50)
        services.script_generate(
            session=session, user=bob, template=template_a, parameters={"share": "s", "letter": "S", "password": "p"}
        )
    small_count = queries(bob_api, reverse("api-session", args=[small.pk]))
    large_count = queries(bob_api, reverse("api-session", args=[large.pk]))
    assert small_count == large_count
    assert len(bob_api.get(reverse("api-session", args=[large.pk])).json()["facts"]) == 500


def test_the_session_list_query_count_does_not_grow_with_facts_or_sessions(bob_api, account_a, bob):
    first = services.session_create(account=account_a, user=bob, title="First")
    fill(first, bob, 5)
    with_5 = queries(bob_api, reverse("api-sessions"))
    for n in range(5):
        session = services.session_create(account=account_a, user=bob, title=f"More {n}")
        fill(session, bob, 100)
    with_500 = queries(bob_api, reverse("api-sessions"))
    assert with_5 == with_500
    counts = {s["title"]: s["fact_count"] for s in bob_api.get(reverse("api-sessions")).json()["results"]}
    assert counts["First"] == 5
    assert counts["More 0"] == 100


def test_the_workspace_page_query_count_does_not_grow_with_facts(account_a, bob, template_a):
    from drafting.kinds import DraftKind
    from drafting.services import draft_edit_save

    web = web_client_for(bob)
    counts = {}
    for n in (5, 500):
        session = services.session_create(account=account_a, user=bob, title=f"{n} facts", psa_ticket_id=48000 + n)
        fill(session, bob, n)
        services.fix_set(session=session, user=bob, title="Fix", confidence_pct=50)
        services.script_generate(
            session=session, user=bob, template=template_a, parameters={"share": "s", "letter": "S", "password": "p"}
        )
        # An open preview panel (an edit kept) is part of the page too.
        draft_edit_save(
            session=session, kind=DraftKind.RESOLUTION_NOTE, markdown="## Problem", based_on_state_version=1, user=bob
        )
        counts[n] = queries(web, reverse("workspace", args=[session.pk]))
        assert web.get(reverse("workspace", args=[session.pk])).content.decode().count('class="fact"') == n
    assert counts[5] == counts[500]
