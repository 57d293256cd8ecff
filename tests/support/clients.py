"""Signed-in test clients, concurrent requests, and waiting for something to happen."""

import threading
import time

from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def web_client_for(user, **options) -> Client:
    """A browser-like client signed in as `user` (a session cookie; `options` such as enforce_csrf_checks)."""
    client = Client(**options)
    client.force_login(user)
    return client


def post_all_at_once(user, url: str, body: dict, *, count: int = 20) -> list:
    """`count` API clients of `user` POST the same request released together at a barrier, each in
    its own thread (and database connection); returns the responses."""
    clients = [api_client_for(user) for _ in range(count)]
    barrier = threading.Barrier(count)
    responses = []

    def post(client):
        barrier.wait()
        try:
            responses.append(client.post(url, body, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def wait_for(predicate, *, timeout: float, what: str):
    """Poll `predicate` until it returns something truthy (and return that), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
