"""Twenty simultaneous preview requests for the same state make exactly one model call.

On PostgreSQL + Redis in CI (`.ci/run`) this exercises the real `cache.add` lock in Redis; locally
it runs on the local-memory cache, whose `add` is atomic too.
"""

from django.urls import reverse

from tests.support.clients import post_all_at_once

THREADS = 20


def test_twenty_concurrent_requests_make_one_model_call(settings, model_on, rich_session, bob, transactional_db):
    settings.FLOWPILOT_PREVIEW_WAIT_SECONDS = 10
    model_on.delay_seconds = 0.5  # long enough for every request to arrive while the first drafts
    url = reverse("api-resolution-preview", args=[rich_session.pk])
    responses = post_all_at_once(bob, url, {}, count=THREADS)
    answers = [(response.status_code, response.json()) for response in responses]

    assert model_on.call_count == 1
    assert len(answers) == THREADS
    assert {status for status, _ in answers} == {200}
    assert sorted(body["from_cache"] for _, body in answers) == [False] + [True] * (THREADS - 1)
    assert len({body["markdown"] for _, body in answers}) == 1
