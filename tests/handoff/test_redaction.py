import pytest

from handoff.redaction import REDACTED, redact_everywhere, redact_secrets


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("net use S: \\\\fs01\\share password=Winter-2026! /persistent:yes", "Winter-2026!"),
        ("pwd: hunter2x9", "hunter2x9"),
        ('client_secret = "a b c d"', "a b c d"),
        ("api_key=abcd1234", "abcd1234"),
        ("the key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv is in the script", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"),
        ("AWS AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"),
        ("Authorization: Bearer abcdefghijklmnop123", "abcdefghijklmnop123"),
        ("token 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a", "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----", "MIIEow"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (truncated paste", "b3BlbnNzaC1rZXk"),
    ],
)
def test_it_redacts_secret_looking_strings(text, secret):
    redacted = redact_secrets(text)

    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "The password expired yesterday; the user reset it via the portal.",
        "Tenant id 0f8fad5b-d9cb-469f-a165-70867728950e in Entra ID.",
        "Outlook prompts for the password in a loop.",
        "Set password= [REDACTED] in the template.",
    ],
)
def test_it_leaves_ordinary_text_alone(text):
    assert redact_secrets(text) == text


def test_it_redacts_every_string_in_nested_data():
    data = {"facts": [{"text": "password=abc123def"}], "count": 3, "fix": None}

    assert redact_everywhere(data) == {"facts": [{"text": f"password={REDACTED}"}], "count": 3, "fix": None}
