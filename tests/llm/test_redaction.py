import pytest

from llm.redaction import REDACTED, redact_everywhere, redact_secrets


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
        # Long random runs with no keyword in front: hex keys, base64 (with `/`), lowercase base32 PATs
        ("Datadog key 9f86d081884c7d659a2feaa0c55ad015 in the agent config", "9f86d081884c7d659a2feaa0c55ad015"),
        ("pasted c9QeWJKY40uvSwMFLZD/e1f8rESQedUStPKR0CsT by mistake", "c9QeWJKY40uvSwMFLZD/e1f8rESQedUStPKR0CsT"),
        ("AWS secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        (
            "PAT 4x7kqm2zpa5tbnr3vwh6yjd2ce7lfq5gsu4oia3nxe6mkb7rtz2w",
            "4x7kqm2zpa5tbnr3vwh6yjd2ce7lfq5gsu4oia3nxe6mkb7rtz2w",
        ),
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
        # URLs and paths are runs of key characters too, but made of words
        "See https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/vpn-error-13801-certificate",
        "Shortcut is in C:/ProgramData/Microsoft/Windows/Start-Menu/Programs2 for all users.",
        "Cache: C:\\Users\\jsmith\\AppData\\Local\\Microsoft\\Outlook\\OutlookCredentialCacheBackupFolder2024"
        "\\Microsoft-Windows-Outlook-Credential-Cache-Folder2\\index.dat",
        "Followed how-to-reset-the-outlook-credential-cache-2024 from the wiki, no change.",
        "/subscriptions/0f8fad5b-d9cb-469f-a165-70867728950e/resourceGroups/rg-prod-westeurope-001-networking",
        "Installed Windows10Enterprise22H2Update64 and SQLServer2019CumulativeUpdate24Installer.",
    ],
)
def test_it_leaves_ordinary_text_alone(text):
    assert redact_secrets(text) == text


def test_it_redacts_every_string_in_nested_data():
    data = {"facts": [{"text": "password=abc123def"}], "count": 3, "fix": None}

    assert redact_everywhere(data) == {"facts": [{"text": f"password={REDACTED}"}], "count": 3, "fix": None}


def test_it_redacts_a_random_query_token_but_keeps_the_url_around_it():
    url = "https://contoso.blob.core.windows.net/exports/report.csv?sv=2022-11-02&sig="

    assert redact_secrets(f"{url}AbC123u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL") == f"{url}{REDACTED}"


def test_it_redacts_only_the_random_segment_of_a_path():
    text = "https://files.contoso.com/share/Q7mZ2kR9xLp4TfW8nB3vY6cH1sJ5dG0aK2eU7qN4/report.pdf"

    assert redact_secrets(text) == f"https://files.contoso.com/share/{REDACTED}/report.pdf"
