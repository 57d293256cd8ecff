"""Posting through the API and waiting for a real worker to finish, and a broker taken down meanwhile."""

import socket
from contextlib import contextmanager

from django.urls import reverse

from flowpilot.celery import app
from tests.support.clients import wait_for

RESOLUTION_TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


ESCALATION_TEXT = (
    "## Problem\n\nA.\n\n## What we've confirmed\n\n- B\n\n## What we've tried\n\nC.\n\n## Current hypothesis\n\nD."
    "\n\n## Suggested next steps\n\n1. E."
)
# ESCALATION_TEXT as it lands on a ConnectWise ticket: plain text, written out rather than computed.
ESCALATION_NOTE = (
    "Problem\n\nA.\n\nWhat we've confirmed\n\n- B\n\nWhat we've tried\n\nC.\n\nCurrent hypothesis\n\nD."
    "\n\nSuggested next steps\n\n1. E."
)


TEXTS = {"resolution": RESOLUTION_TEXT, "escalation": ESCALATION_TEXT}


def post(client, session, kind: str = "resolution", markdown: str | None = None):
    """Confirm & post through the REST API; the response as it came."""
    url = reverse(f"api-{kind}-post", args=[session.pk])
    return client.post(url, {"markdown": markdown or TEXTS[kind]}, format="json")


def finished(client, handoff_id) -> dict | None:
    body = client.get(reverse("api-handoff", args=[handoff_id])).json()
    return body if body["state"] in ("succeeded", "failed") else None


def wait_until_finished(client, handoff_id, *, timeout: float = 60) -> dict:
    return wait_for(lambda: finished(client, handoff_id), timeout=timeout, what="the handoff to finish")


def queue(client, session, kind: str = "resolution", markdown: str | None = None) -> dict:
    """Confirm & post, which must be accepted (202); the queued handoff."""
    queued = post(client, session, kind, markdown)
    assert queued.status_code == 202, queued.json()
    return queued.json()


def post_and_wait(client, session, kind: str = "resolution", markdown: str | None = None) -> dict:
    return wait_until_finished(client, queue(client, session, kind, markdown)["id"])


def retry_and_wait(client, handoff_id) -> dict:
    retried = client.post(reverse("api-handoff-retry", args=[handoff_id]), format="json")
    assert retried.status_code == 202, retried.json()
    return wait_until_finished(client, handoff_id)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _publish_to(broker_url: str) -> None:
    app.conf.broker_url = broker_url
    app._after_fork()  # Celery's own reset of its connection and producer pools: the next publish reconnects


@contextmanager
def broker_unreachable():
    """Tasks published meanwhile go to a Redis broker that refuses the connection; then back to the real one."""
    real = app.conf.broker_url
    _publish_to(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        yield
    finally:
        _publish_to(real)
