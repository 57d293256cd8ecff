"""A client generated from the schema works, as a REST user would build it: openapi-python-client (0.29.1, from
the venv, offline) generates one from /api/schema/ without a warning (each operation and each of its answers is
in it), and every one of its modules imports. The token endpoint speaks JSON only, like the rest of the API: a
form or multipart body is refused, and the schema offers neither."""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.support.data import PASSWORD

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "flowpilot_generated_client"
# No post-hooks: the generator would otherwise run whatever `ruff` is on PATH over the code it wrote.
CONFIG = "post_hooks: []\n"


def generate_client(schema: bytes, where: Path) -> subprocess.CompletedProcess:
    (where / "schema.yml").write_bytes(schema)
    (where / "config.yml").write_text(CONFIG)
    command = [str(GENERATOR), "generate", "--path", "schema.yml", "--config", "config.yml"]
    command += ["--output-path", PACKAGE, "--meta", "none", "--fail-on-warning"]
    return subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=120)


def import_every_module(where: Path, monkeypatch) -> tuple[list[str], dict[str, str]]:
    """Import the generated package and each module under it: (the modules imported, {module: its error})."""
    monkeypatch.syspath_prepend(str(where))
    imported, failures = [], {}
    try:
        package = importlib.import_module(PACKAGE)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
            try:
                importlib.import_module(module.name)
            except Exception as error:
                failures[module.name] = f"{type(error).__name__}: {error}"
            else:
                imported.append(module.name)
    finally:
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
    return imported, failures


def test_a_client_generated_from_the_schema_imports_every_module(db, tmp_path, monkeypatch):
    schema = Client().get(reverse("api-schema"))
    assert schema.status_code == 200

    result = generate_client(schema.content, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    imported, failures = import_every_module(tmp_path, monkeypatch)
    assert failures == {}
    for operation in ("auth.auth_token_create", "ai_sessions.ai_sessions_create", "handoffs.handoffs_retry_create"):
        assert f"{PACKAGE}.api.{operation}" in imported
    assert len(imported) > 40  # the whole API: an operation per module, a model per schema


def test_the_token_endpoint_is_described_as_json_only(db):
    schema = Client().get(reverse("api-schema"), {"format": "json"}).json()

    body = schema["paths"]["/api/auth/token/"]["post"]["requestBody"]

    assert list(body["content"]) == ["application/json"]


def test_the_token_endpoint_refuses_a_form_body_and_answers_json(db, alice):
    client = Client()

    form = client.post(reverse("api-token"), {"username": "alice", "password": PASSWORD})
    as_json = client.post(
        reverse("api-token"), {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )

    assert form.status_code == 415
    assert form.json()["code"] == "unsupported_media_type"
    assert as_json.status_code == 200
    assert set(as_json.json()) == {"token"}
