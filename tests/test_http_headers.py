"""How long a server asked us to wait, read the same way for ConnectWise and for Claude."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from flowpilot.http_headers import retry_after_seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("", None), (None, None), ("soon", None), ("inf", None), ("nan", None)],
)
def test_it_reads_delay_seconds_and_refuses_garbage(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_it_reads_an_http_date_as_the_seconds_until_then():
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)

    assert 55 <= retry_after_seconds(in_a_minute) <= 60


def test_a_date_in_the_past_means_now():
    assert retry_after_seconds(format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)) == 0.0
