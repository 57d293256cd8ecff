"""The bench's own instruments (bench/): the statistics it prints, and the server-side query count it
reads, checked against Django's own count of the same request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.middleware import HEADER
from bench.stats import Spread, paired_ratios
from tests.support.clients import api_client_for


def test_a_spread_is_the_median_and_the_interquartile_range():
    spread = Spread.of([5.0, 1.0, 3.0, 2.0, 4.0])

    assert (spread.median, spread.low, spread.high, spread.count) == (3.0, 2.0, 4.0, 5)
    assert spread.show(" ms") == "3.0 ms (2.0\u20134.0)"  # an en dash
    assert Spread.of([3, 3, 3]).show("", 0) == "3"


def test_a_spread_of_nothing_is_refused():
    with pytest.raises(ValueError, match="no samples"):
        Spread.of([])


def test_ratios_are_taken_round_by_round_from_interleaved_samples():
    slow = [2.0, 2.2, 2.1, 3.0, 3.3, 3.1]  # two rounds of three, the machine slower in the second
    fast = [1.0, 1.1, 1.0, 2.0, 2.2, 2.0]

    assert paired_ratios(slow, fast, rounds=2) == pytest.approx([2.1 / 1.0, 3.1 / 2.0])


@pytest.fixture
def bench_server(settings):
    settings.ROOT_URLCONF = "bench.urls"
    settings.MIDDLEWARE = ["bench.middleware.query_count_header", *settings.MIDDLEWARE]


@pytest.mark.parametrize("name", ["bench-ping", "api-session"])
def test_the_query_header_counts_what_django_counts(bench_server, bob, session_a, name):
    client = api_client_for(bob)
    args = [session_a.pk] if name == "api-session" else []
    client.get(reverse(name, args=args))  # token and connection set up

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name, args=args))

    assert response.status_code == 200
    assert int(response[HEADER]) == len(captured.captured_queries) > 0


def test_the_baseline_refuses_anyone_without_a_token(bench_server, db):
    response = api_client_for(None).get(reverse("bench-ping"))

    assert response.status_code == 401
