"""What may reach the customer's note: sentences that show internal detail are left out whole, host names
after a preposition become the machine they name, and plain sentences (capitals and digits that name no
machine among them) stay exactly as written."""

import pytest

from drafting.customer_text import customer_safe, host_role, session_hosts, session_internal_names


@pytest.mark.parametrize(
    "sentence",
    [
        r"The share \\fs01\finance answers.",
        "The gateway answers on 10.20.30.1.",
        "We ran `gpupdate /force` on the laptop.",
        "Get-PrintJob shows 14 jobs.",
        "cmdkey /delete the entry, then klist purge.",
        "Run setup.exe again.",
        "Restart the service with -Force.",
        "PRINT01 has 14 jobs queued.",
        "WS-FIN-07 holds a stale entry.",
        "The account NORTHWIND\\dana is locked.",
        "Sign in as priya@northwind.com.",
        "The entry MicrosoftOffice16_Data was stale.",
        "We ran the clear-print-queue script.",
        "The fix had 90% confidence.",
        "Its value was [REDACTED].",
        "The file C:\\ProgramData\\app.log grew.",
        "The key HKLM was wrong.",
        "mail.northwind.local refused the login.",
    ],
)
def test_a_sentence_with_internal_detail_is_left_out_whole(sentence):
    assert customer_safe(f"The printer works. {sentence} Sara can print.") == "The printer works. Sara can print."


@pytest.mark.parametrize(
    "sentence",
    [
        "Wi-Fi drops near the loading bay.",
        "The Teams Add-In loads again.",
        "Task Manager shows the disk at 100% active time.",
        "The S: drive is back, and the Q4 budget workbook opens.",
        "The HP LaserJet M404 prints its test page.",
        "The access point uses WPA2 and Microsoft 365 sign-in works.",
        "It happens 24/7 and/or after lunch.",
    ],
)
def test_a_plain_sentence_stays_as_written(sentence):
    assert customer_safe(sentence) == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "We upgraded the laptop to WIN11.",
        "We installed the printer driver for MFC9340.",
        "Sara opened the FY2024 budget workbook.",
        "The update KB5034441 failed to install.",
        "The laptop runs Windows 11 23H2.",
        "The office was closed during COVID-19.",
        "The database moved to SQL-2019 last year.",
        "The old EX2016 mailbox was retired.",
    ],
)
def test_capitals_and_digits_are_not_guessed_to_be_a_machine(sentence):
    """A product, a model, an update or a year is no host: the sentence stays exactly as written, never
    "…to the server" nor left out."""
    text = f"The printer works. {sentence} Sara can print."

    assert customer_safe(text) == text
    assert customer_safe(text, hosts=frozenset({"NWFILES"}), internal_names=frozenset({"fs01"})) == text


def test_a_word_the_session_uses_but_does_not_show_to_be_a_host_leaves_its_sentence_out():
    text = "The printer works. We installed the driver for MFC9340. Sara can print."

    assert customer_safe(text, internal_names=frozenset({"MFC9340"})) == "The printer works. Sara can print."


def test_a_host_the_session_shows_by_its_unc_path_becomes_the_server_after_a_preposition():
    text = "Users on NWFILES lost the S: drive. NWFILES answers."

    assert customer_safe(text, hosts=frozenset({"NWFILES"})) == "Users on the server lost the S: drive."


def test_a_host_after_a_preposition_becomes_the_machine_it_names():
    text = "The spooler on PRINT01 shows 14 jobs. Credential Manager holds an entry for fs01. It failed On FW01."

    assert customer_safe(text, internal_names=frozenset({"fs01"})) == (
        "The spooler on the print server shows 14 jobs. Credential Manager holds an entry for the file server. "
        "It failed On the firewall."
    )


@pytest.mark.parametrize(
    ("host", "role"),
    [
        ("PRINT01", "the print server"),
        ("fs01", "the file server"),
        ("DC02", "the domain controller"),
        ("WS-FIN-07", "the computer"),
        ("rdg.northwind.local", "the remote desktop server"),
        ("SRV-APP01", "the server"),
    ],
)
def test_a_hosts_role_comes_from_the_start_of_its_name(host, role):
    assert host_role(host) == role


def test_a_lowercase_host_is_internal_only_once_the_session_shows_it_is():
    text = "Users reach fs01 again."

    assert customer_safe(text) == text
    assert customer_safe(text, internal_names=frozenset({"fs01"})) == ""


def test_the_sessions_internal_names_come_from_its_paths_commands_and_script_parameters():
    bundle = {
        "facts": [{"text": r"The share \\fs01\finance is reachable."}],
        "checks": [
            {"command": "Test-NetConnection mail.northwind.local -Port 443"},
            {"command": "Get-PrintJob -PrinterName 'Reception-HP'"},
        ],
        "scripts": [{"parameters_used": [{"server": "nas02", "letter": "S", "password": "[REDACTED]"}]}],
    }

    assert session_internal_names(bundle) == {"fs01", "mail.northwind.local", "Reception-HP", "nas02"}


def test_the_sessions_hosts_are_the_hosts_of_its_unc_paths():
    bundle = {
        "facts": [{"text": r"The share \\fs01\finance is reachable."}],
        "checks": [{"command": r"Test-Path \\NWFILES\scans"}, {"command": "Get-Printer -Name MFC9340"}],
        "scripts": [{"parameters_used": [{"share_path": r"\\nas02\backup"}]}],
    }

    assert session_hosts(bundle) == {"fs01", "NWFILES", "nas02"}
