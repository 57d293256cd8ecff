"""A demo tenant to explore FlowPilot with: logins, realistic script templates and sessions."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, Membership
from accounts.services import account_create, account_settings_update, member_create
from psa.services import psa_connection_save
from psa.simulator import SIMULATOR_HOST, SIMULATOR_PORT, connection_fields
from sessions import services
from sessions.models import DiagnosticCheck, Fact, SuggestedFix

DEMO_ACCOUNT = "Northwind IT (demo)"
DEMO_PASSWORD = "flowpilot-demo"
DEMO_ADMIN = "demo-admin"
DEMO_ENGINEER = "demo"
DEMO_BOARD_ID = 1  # the simulator's "Help Desk" board
DEMO_TARGET_STATUSES = {"cw_resolved_status_id": 5, "cw_escalated_status_id": 4}  # Resolved, Escalated - Tier 2

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
                    "label": "Share path (\\\\server\\share)",
                    "field_type": "text",
                    "required": True,
                },
                {"key": "username", "label": "User (DOMAIN\\user)", "field_type": "text", "required": True},
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
                {"key": "printer_name", "label": "Printer name", "field_type": "text", "required": True},
                {
                    "key": "wait_seconds",
                    "label": "Seconds to wait after restart",
                    "field_type": "number",
                    "required": True,
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
                {"key": "tenant_domain", "label": "Tenant domain", "field_type": "text", "required": True},
                {"key": "user_principal_name", "label": "User principal name", "field_type": "text", "required": True},
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


class Command(BaseCommand):
    help = (
        "Create the demo account, its logins, script templates and sessions (once; re-running only prints the logins)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--simulator-url",
            default=f"http://{SIMULATOR_HOST}:{SIMULATOR_PORT}",
            help="The ConnectWise simulator the demo account posts to (manage.py cw_simulator).",
        )

    def handle(self, *args, **options):
        account = Account.objects.filter(name=DEMO_ACCOUNT).first()
        if account:
            self.stdout.write("The demo account already exists.")
        else:
            account = self._seed()
            self.stdout.write(self.style.SUCCESS(f"Created the demo account {DEMO_ACCOUNT!r}."))
        self._connect_simulator(account, options["simulator_url"])
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD!r}): engineer {DEMO_ENGINEER!r}, account admin {DEMO_ADMIN!r}."
        )

    @transaction.atomic
    def _seed(self):
        account = account_create(name=DEMO_ACCOUNT, admin_username=DEMO_ADMIN, admin_password=DEMO_PASSWORD)
        engineer = member_create(
            account=account, username=DEMO_ENGINEER, password=DEMO_PASSWORD, role=Membership.Role.ENGINEER
        ).user
        templates = {spec["slug"]: services.template_create(account=account, **spec) for spec in TEMPLATES}
        for spec in SESSIONS:
            session = services.session_create(account=account, user=engineer, **spec["session"])
            for text, source_type in spec["facts"]:
                services.fact_add(session=session, user=engineer, text=text, source_type=source_type)
            for check in spec.get("checks", []):
                services.check_record(session=session, **check)
            if "script" in spec:
                slug, parameters = spec["script"]
                services.script_generate(
                    session=session, user=engineer, template=templates[slug], parameters=parameters
                )
            fix = services.fix_set(session=session, user=engineer, **spec["fix"])
            if "outcome" in spec:
                services.fix_record_outcome(fix=fix, outcome=spec["outcome"])
        return account

    def _connect_simulator(self, account, simulator_url: str) -> None:
        """Point the demo account's PSA connection at the simulator, so a first post works."""
        if not settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS:
            self.stdout.write(
                "Demo PSA connection skipped: the simulator runs on 127.0.0.1, which FlowPilot only calls "
                "with FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS=1 (make run sets it)."
            )
            return
        psa_connection_save(account=account, **connection_fields(simulator_url), board_id=DEMO_BOARD_ID)
        account_settings_update(account=account, changes=DEMO_TARGET_STATUSES)
        self.stdout.write(f"The demo account posts to the ConnectWise simulator at {simulator_url}.")
