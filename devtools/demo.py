"""The demo tenants to explore FlowPilot with (`seed_demo`): one per PSA, each with logins, realistic script
templates and sessions on the demo tickets every simulator seeds (48213, 48227, 48230, 48241)."""

from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Account, Membership
from accounts.services import account_create, member_create
from sessions import services
from sessions.models import DiagnosticCheck, Fact, SuggestedFix

DEMO_ACCOUNT = "Northwind IT (demo)"
DEMO_PASSWORD = "flowpilot-demo"
DEMO_ADMIN = "demo-admin"
DEMO_ENGINEER = "demo"
DEMO_BOARD_ID = 1  # the simulator's "Help Desk" board
DEMO_TARGET_STATUSES = {"cw_resolved_status_id": 5, "cw_escalated_status_id": 4}  # Resolved, Escalated - Tier 2


@dataclass(frozen=True)
class DemoAccount:
    """One demo tenant: its name, its PSA and the simulator's port it posts to, its logins (the first is the
    account admin) and its target statuses (ids of that simulator's statuses)."""

    name: str
    provider: str
    port: int
    admin: str
    engineer: str = ""  # "": the admin works the sessions too
    target_statuses: dict = field(default_factory=dict)
    scripts: bool = False  # a script generated with a password (once, in the ConnectWise demo)
    board_id: int | None = None


DEMO_ACCOUNTS = (
    DemoAccount(
        DEMO_ACCOUNT,
        "connectwise",
        8765,
        DEMO_ADMIN,
        DEMO_ENGINEER,
        DEMO_TARGET_STATUSES,
        scripts=True,
        board_id=DEMO_BOARD_ID,
    ),
    # Autotask's "Complete" (5) and "Escalate" (11); HaloPSA's "Resolved" (8) and "Escalated - 2nd Line" (21).
    DemoAccount(
        "Northwind IT (Autotask demo)",
        "autotask",
        8767,
        "demo-autotask",
        target_statuses={"resolved_status_id": 5, "escalated_status_id": 11},
    ),
    DemoAccount(
        "Northwind IT (HaloPSA demo)",
        "halopsa",
        8768,
        "demo-halo",
        target_statuses={"resolved_status_id": 8, "escalated_status_id": 21},
    ),
)

TEMPLATES = [
    {
        "name": "Map a network drive",
        "slug": "map-network-drive",
        "language": "powershell",
        "description": "Maps a persistent drive letter to a file share with the user's credentials.",
        "body": (
            "$secure = ConvertTo-SecureString '{{ password }}' -AsPlainText -Force\n"
            "$credential = New-Object System.Management.Automation.PSCredential('{{ username }}', $secure)\n"
            "New-PSDrive -Name '{{ drive_letter }}' -PSProvider FileSystem -Root '{{ share_path }}' "
            "-Credential $credential -Persist -Scope Global\n"
            "Get-PSDrive -Name '{{ drive_letter }}'\n"
        ),
        "parameters_schema": {
            "parameters": [
                {
                    "key": "drive_letter",
                    "label": "Drive letter",
                    "field_type": "select",
                    "required": True,
                    "options": ["G", "H", "P", "S", "X"],
                },
                {
                    "key": "share_path",
                    "label": "Share path",
                    "field_type": "text",
                    "required": True,
                    "pattern": r"\\\\[A-Za-z0-9._\-]+\\[^\\].*",
                    "pattern_message": r"a UNC path like \\server\share",
                    "placeholder": r"\\fs01\finance",
                },
                {
                    "key": "username",
                    "label": "User",
                    "field_type": "text",
                    "required": True,
                    "pattern": r"[A-Za-z0-9._\-]+\\[^\\]+",
                    "pattern_message": r"DOMAIN\user, like NORTHWIND\dana",
                    "placeholder": r"NORTHWIND\dana",
                },
                {"key": "password", "label": "Password", "field_type": "password", "required": True},
            ]
        },
    },
    {
        "name": "Clear a stuck print queue",
        "slug": "clear-print-queue",
        "language": "powershell",
        "description": "Stops the spooler, removes stuck jobs, restarts it and shows the printer's state.",
        "body": (
            "Stop-Service -Name Spooler -Force\n"
            'Remove-Item -Path "$env:SystemRoot\\System32\\spool\\PRINTERS\\*" -Force -ErrorAction SilentlyContinue\n'
            "Start-Service -Name Spooler\n"
            "Start-Sleep -Seconds {{ wait_seconds }}\n"
            "Get-Printer -Name '{{ printer_name }}' | Select-Object Name, PrinterStatus, JobCount\n"
        ),
        "parameters_schema": {
            "parameters": [
                {
                    "key": "printer_name",
                    "label": "Printer name",
                    "field_type": "text",
                    "required": True,
                    "placeholder": "e.g. Reception-HP",
                },
                {
                    "key": "wait_seconds",
                    "label": "Seconds to wait after restart",
                    "field_type": "number",
                    "required": True,
                    "default": 10,
                },
            ]
        },
    },
    {
        "name": "Reset a user's MFA methods",
        "slug": "reset-user-mfa",
        "language": "powershell",
        "description": (
            "Removes a Microsoft 365 user's registered authentication methods so they re-register at next sign-in."
        ),
        "body": (
            "Connect-MgGraph -Scopes 'UserAuthenticationMethod.ReadWrite.All' -TenantId '{{ tenant_domain }}'\n"
            "$user = Get-MgUser -UserId '{{ user_principal_name }}'\n"
            "Get-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId $user.Id | ForEach-Object {\n"
            "  Remove-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId $user.Id "
            "-MicrosoftAuthenticatorAuthenticationMethodId $_.Id\n"
            "}\n"
            "Revoke-MgUserSignInSession -UserId $user.Id  # {{ reason }}\n"
        ),
        "parameters_schema": {
            "parameters": [
                {
                    "key": "tenant_domain",
                    "label": "Tenant domain",
                    "field_type": "text",
                    "required": True,
                    "pattern": r"[A-Za-z0-9\-]+\.[A-Za-z0-9.\-]*[A-Za-z0-9]",
                    "pattern_message": "a domain like contoso.onmicrosoft.com",
                    "placeholder": "contoso.onmicrosoft.com",
                },
                {
                    "key": "user_principal_name",
                    "label": "User principal name",
                    "field_type": "text",
                    "required": True,
                    "pattern": r"[^@\s]+@[A-Za-z0-9\-]+\.[A-Za-z0-9.\-]*[A-Za-z0-9]",
                    "pattern_message": "a sign-in address like priya@contoso.com",
                    "placeholder": "priya@contoso.com",
                },
                {
                    "key": "reason",
                    "label": "Reason",
                    "field_type": "select",
                    "required": True,
                    "options": ["New phone", "Lost phone", "Suspected compromise"],
                },
            ]
        },
    },
]


ENGINEER, PSA, CHECK = Fact.SourceType.ENGINEER, Fact.SourceType.PSA, Fact.SourceType.DIAGNOSTIC_CHECK

SESSIONS = [
    {
        "session": {
            "title": "Finance can't reach the S: drive after password change",
            "problem_summary": "Three finance users lost the mapped S: drive after the quarterly password rotation.",
            "problem_domain": "file shares",
            "intake_text": (
                "Ticket from Dana (Finance): 'S: drive shows a red X since this morning, can't open the budget sheets.'"
            ),
            "psa_ticket_id": 48227,
        },
        "facts": [
            ("Affected users changed their passwords on Monday; the drive broke the same day.", PSA),
            ("The share \\\\fs01\\finance is reachable by IP and by name from the affected laptops.", CHECK),
            ("Credential Manager holds a stale saved credential for fs01.", ENGINEER),
        ],
        "checks": [
            {
                "name": "SMB reachability",
                "command": "Test-NetConnection fs01 -Port 445",
                "result": DiagnosticCheck.Result.PASSED,
                "output_summary": "TcpTestSucceeded: True",
            }
        ],
        "script": (
            "map-network-drive",
            {
                "drive_letter": "S",
                "share_path": "\\\\fs01\\finance",
                "username": "NORTHWIND\\dana",
                "password": "Winter-2026!demo",
            },
        ),
        "fix": {
            "title": "Remove the stale saved credential and remap S:",
            "description": "Delete the fs01 entry from Credential Manager, then remap S: with the new password.",
            "confidence_pct": 85,
        },
    },
    {
        "session": {
            "title": "Reception printer queue stuck on a 300-page job",
            "problem_summary": "Jobs pile up behind a stuck job on the reception HP LaserJet.",
            "problem_domain": "printing",
            "intake_text": "Front desk: nothing prints since 9am; the printer display says Ready.",
            "psa_ticket_id": 48241,
        },
        "facts": [
            ("The printer's own test page prints fine.", ENGINEER),
            ("The spooler on PRINT01 shows 14 jobs queued behind one in error.", CHECK),
        ],
        "checks": [
            {
                "name": "Spooler queue",
                "command": "Get-PrintJob -PrinterName 'Reception-HP'",
                "result": DiagnosticCheck.Result.FAILED,
                "output_summary": "14 jobs; job 311 in Error state",
            }
        ],
        "fix": {
            "title": "Clear the queue and restart the spooler",
            "description": "Run the clear-print-queue script on PRINT01.",
            "confidence_pct": 90,
        },
        "outcome": SuggestedFix.Outcome.APPLIED_SUCCESS,
    },
    {
        "session": {
            "title": "New phone: user can't complete MFA sign-in",
            "problem_summary": "User replaced her phone and can no longer approve Microsoft 365 sign-ins.",
            "problem_domain": "identity",
            "intake_text": "Walk-up: Priya has a new phone; the Authenticator prompts still go to the old one.",
        },
        "facts": [
            ("The old phone was wiped and traded in.", ENGINEER),
            ("Sign-in logs show MFA denied: no response from the registered device.", CHECK),
        ],
        "fix": {"title": "Reset the user's MFA methods so she re-registers", "confidence_pct": 55},
    },
]


@transaction.atomic
def demo_seed(demo: DemoAccount = DEMO_ACCOUNTS[0]) -> Account:
    """A demo account, its logins, script templates and sessions (the caller checks it is not there yet).
    The ConnectWise demo has every session; the others the two on demo tickets, without the script."""
    account = account_create(name=demo.name, admin_username=demo.admin, admin_password=DEMO_PASSWORD)
    if demo.engineer:
        engineer = member_create(
            account=account, username=demo.engineer, password=DEMO_PASSWORD, role=Membership.Role.ENGINEER
        ).user
    else:
        engineer = account.memberships.get().user
    templates = {spec["slug"]: services.template_create(account=account, **spec) for spec in TEMPLATES}
    for spec in SESSIONS:
        if not demo.scripts and not spec["session"].get("psa_ticket_id"):
            continue
        session = services.session_create(account=account, user=engineer, **spec["session"])
        for text, source_type in spec["facts"]:
            services.fact_add(session=session, user=engineer, text=text, source_type=source_type)
        for check in spec.get("checks", []):
            services.check_record(session=session, **check)
        if "script" in spec and demo.scripts:
            slug, parameters = spec["script"]
            services.script_generate(session=session, user=engineer, template=templates[slug], parameters=parameters)
        fix = services.fix_set(session=session, user=engineer, **spec["fix"])
        if "outcome" in spec:
            services.fix_record_outcome(fix=fix, outcome=spec["outcome"])
    return account
