r"""Realistic MSP sessions, as plain data, with what each draft of each must and must never say.

Each case is what an engineer records while working one ticket: the session, its facts (source types
as stored, some from the assistant), the checks with their commands, the scripts generated (some
twice), and the fixes in the order they were set (the last one is active) with their outcomes. For
each kind, `must` lists phrases the draft contains and `must_not` phrases it never contains: the
commands, host names, UNC paths, addresses, confidence figures and assistant-only facts that stay out
of the customer's note, and the duplicate script lines and field-value sources that stay out of the
escalation package.

`CUSTOMER_NOTE_NEVER` and `PACKAGE_NEVER` are patterns that hold for every case.
"""

RESOLUTION, ESCALATION = "resolution_note", "escalation_package"

# Patterns (regular expressions) no customer note ever matches, whatever the session.
CUSTOMER_NOTE_NEVER = [
    r"\\",  # a UNC or file path, DOMAIN\user
    r"\b(?:\d{1,3}\.){3}\d{1,3}\b",  # an IP address
    r"`",  # inline code
    r"(?i)confiden",
    r"\d+\s?%\s*(?:confidence|sure|certain)",
    r"(?i)\bscripts?\b",
    r"\[REDACTED\]",
    r"(?i)assistant",
    r"Identified from the findings",
    r"No fix has been applied yet",
    r"continuing to investigate",
    # The note closes the ticket: no promise of work the ticket will no longer track.
    r"(?i)before (?:closing|we close) (?:this|the) ticket",
    r"(?i)\bwe will (?:agree|confirm|check|follow up|call|contact|get back)",
    r"(?i)\bonce we have checked with you",
    r"\((?:psa|ai|engineer|diagnostic[ _]check|script[ _]output)\)",
]
# Patterns no escalation package matches: sources are words, never the stored field values.
PACKAGE_NEVER = [
    r"\((?:psa|ai|engineer|diagnostic[ _]check|script[ _]output)\)",
    r"\[REDACTED\]",
]

TEMPLATES = {
    "clear-print-queue": {
        "name": "Clear a stuck print queue",
        "language": "powershell",
        "body": (
            "Stop-Service -Name Spooler -Force\n"
            'Remove-Item -Path "$env:SystemRoot\\System32\\spool\\PRINTERS\\*" -Force\n'
            "Start-Service -Name Spooler\n"
            "Get-Printer -Name '{{ printer_name }}' | Select-Object Name, PrinterStatus, JobCount\n"
        ),
        "parameters_schema": {
            "parameters": [{"key": "printer_name", "label": "Printer", "field_type": "text", "required": True}]
        },
    },
    "map-network-drive": {
        "name": "Map a network drive",
        "language": "powershell",
        "body": (
            "$secure = ConvertTo-SecureString '{{ password }}' -AsPlainText -Force\n"
            "$credential = New-Object System.Management.Automation.PSCredential('{{ username }}', $secure)\n"
            "New-PSDrive -Name '{{ drive_letter }}' -PSProvider FileSystem -Root '{{ share_path }}' "
            "-Credential $credential -Persist\n"
        ),
        "parameters_schema": {
            "parameters": [
                {"key": "drive_letter", "label": "Drive", "field_type": "select", "required": True, "options": ["S"]},
                {"key": "share_path", "label": "Share path", "field_type": "text", "required": True},
                {"key": "username", "label": "User", "field_type": "text", "required": True},
                {"key": "password", "label": "Password", "field_type": "password", "required": True},
            ]
        },
    },
    "reset-user-mfa": {
        "name": "Reset a user's MFA methods",
        "language": "powershell",
        "body": (
            "Connect-MgGraph -Scopes 'UserAuthenticationMethod.ReadWrite.All'\n"
            "$user = Get-MgUser -UserId '{{ user_principal_name }}'\n"
            "Revoke-MgUserSignInSession -UserId $user.Id\n"
        ),
        "parameters_schema": {
            "parameters": [{"key": "user_principal_name", "label": "UPN", "field_type": "text", "required": True}]
        },
    },
    "archive-mailbox": {
        "name": "Start a mailbox archive",
        "language": "powershell",
        "body": (
            "Enable-Mailbox -Identity '{{ mailbox }}' -Archive\n"
            "Start-ManagedFolderAssistant -Identity '{{ mailbox }}'\n"
        ),
        "parameters_schema": {
            "parameters": [{"key": "mailbox", "label": "Mailbox", "field_type": "text", "required": True}]
        },
    },
    "renew-certificate": {
        "name": "Request a renewed certificate",
        "language": "powershell",
        "body": (
            "Get-Certificate -Template '{{ template }}' -DnsName '{{ common_name }}' "
            "-CertStoreLocation Cert:\\LocalMachine\\My\n"
        ),
        "parameters_schema": {
            "parameters": [
                {"key": "template", "label": "Certificate template", "field_type": "text", "required": True},
                {"key": "common_name", "label": "Common name", "field_type": "text", "required": True},
            ]
        },
    },
    "flush-dns": {
        "name": "Flush DNS and renew the lease",
        "language": "cmd",
        "body": "ipconfig /flushdns\nipconfig /release {{ adapter }}\nipconfig /renew {{ adapter }}\n",
        "parameters_schema": {
            "parameters": [{"key": "adapter", "label": "Adapter", "field_type": "text", "required": True}]
        },
    },
}

SCRIPT_PASSWORD = "Autumn-Rotation-2026!"  # typed into a password parameter: never in any draft or request

CASES = [
    {
        "id": "printer-queue",
        "session": {
            "title": "Reception printer queue stuck on a 300-page job",
            "problem_summary": "Jobs pile up behind a stuck job on the reception HP LaserJet.",
            "problem_domain": "printing",
            "intake_text": (
                "Imported from ticket #48241: Reception printer not printing\n"
                "Contact: Front desk\n"
                "Board: Help Desk\n\n"
                "Nothing prints since 9am; the printer display says Ready."
            ),
            "psa_ticket_id": 48241,
        },
        "facts": [
            ("The printer's own test page prints fine.", "engineer"),
            ("The spooler on PRINT01 shows 14 jobs queued behind one in error.", "diagnostic_check"),
            ("The HP universal driver on PRINT01 may be corrupt.", "ai"),
        ],
        "checks": [
            {
                "name": "Spooler queue",
                "command": "Get-PrintJob -ComputerName PRINT01 -PrinterName 'Reception-HP'",
                "result": "failed",
                "output_summary": "14 jobs; job 311 in Error state",
            }
        ],
        "scripts": [
            ("clear-print-queue", {"printer_name": "Reception-HP"}),
            ("clear-print-queue", {"printer_name": "Reception-HP"}),
        ],
        "fixes": [
            {
                "title": "Clear the queue and restart the spooler",
                "description": "Run the clear-print-queue script on PRINT01.",
                "confidence_pct": 90,
                "outcome": "applied_success",
                "outcome_notes": "Front desk printed the day's visitor badges.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The printer's own test page prints fine.",
                "- The spooler on the print server shows 14 jobs queued behind one in error.",
                "We found that the spooler on the print server shows 14 jobs queued behind one in error.",
                "Clearing the queue and restarting the spooler resolved the problem.",
                "Front desk printed the day's visitor badges.",
                "If it comes back, reply to this ticket",
            ],
            "must_not": ["PRINT01", "Reception-HP", "Get-PrintJob", "clear-print-queue", "driver", "90"],
        },
        ESCALATION: {
            "must": [
                "> Imported from ticket #48241: Reception printer not printing\n>\n> Contact: Front desk\n>\n"
                "> Board: Help Desk\n>\n> Nothing prints since 9am; the printer display says Ready.",
                "- The spooler on PRINT01 shows 14 jobs queued behind one in error (from a diagnostic check).",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- The HP universal driver on PRINT01 may be corrupt.",
                "- Spooler queue (`Get-PrintJob -ComputerName PRINT01 -PrinterName 'Reception-HP'`): failed.",
                '- Generated the "Clear a stuck print queue" script (PowerShell), 2 times.',
                "(90% confidence; applied, and it fixed the problem)",
                '1. Confirm with the user that the problem is still fixed: "Clear the queue and restart the spooler"',
                '2. Re-run the check "Spooler queue"',
                "3. Confirm or rule out what the assistant suggested: The HP universal driver on PRINT01 may be "
                "corrupt.",
            ],
            "must_not": ["Reproduce the problem with the user", "(ai)"],
        },
    },
    {
        "id": "finance-drive",
        "session": {
            "title": "Finance can't reach the S: drive after password change",
            "problem_summary": "Three finance users lost the mapped S: drive after the quarterly password rotation.",
            "problem_domain": "file shares",
            "intake_text": (
                "Imported from ticket #48227: S: drive missing after password change\n"
                "Company: Northwind Traders\n"
                "Contact: Dana Reyes\n"
                "Priority: High\n"
                "Board: Help Desk"
            ),
            "psa_ticket_id": 48227,
        },
        "facts": [
            ("Affected users changed their passwords on Monday; the drive broke the same day.", "psa"),
            (
                "The share \\\\fs01\\finance is reachable by IP and by name from the affected laptops.",
                "diagnostic_check",
            ),
            ("Credential Manager holds a stale saved credential for fs01.", "engineer"),
            ("SMB signing may have been enforced on fs01 by the weekend's patches.", "ai"),
        ],
        "checks": [
            {
                "name": "SMB reachability",
                "command": "Test-NetConnection fs01 -Port 445",
                "result": "passed",
                "output_summary": "TcpTestSucceeded: True",
            },
            {
                "name": "Saved credentials",
                "command": "cmdkey /list:fs01",
                "result": "failed",
                "output_summary": "Entry for fs01 saved before Monday",
            },
        ],
        "scripts": [
            (
                "map-network-drive",
                {
                    "drive_letter": "S",
                    "share_path": "\\\\fs01\\finance",
                    "username": "NORTHWIND\\dana",
                    "password": SCRIPT_PASSWORD,
                },
            ),
            (
                "map-network-drive",
                {
                    "drive_letter": "S",
                    "share_path": "\\\\fs01\\finance",
                    "username": "NORTHWIND\\sara",
                    "password": SCRIPT_PASSWORD,
                },
            ),
        ],
        "fixes": [
            {
                "title": "Remove the stale saved credential and remap S:",
                "description": "cmdkey /delete:fs01 then klist purge and gpupdate /force, then remap S: on fs01.",
                "confidence_pct": 85,
                "outcome": "applied_success",
                "outcome_notes": "Sara opened the Q4 budget workbook.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Affected users changed their passwords on Monday; the drive broke the same day.",
                "- Credential Manager holds a stale saved credential for the file server.",
                "We found that Credential Manager holds a stale saved credential for the file server.",
                "Removing the stale saved credential and remapping S: resolved the problem.",
                "Sara opened the Q4 budget workbook.",
            ],
            "must_not": ["fs01", "cmdkey", "klist", "gpupdate", "/force", "NORTHWIND", "SMB signing", "85"],
        },
        ESCALATION: {
            "must": [
                "> Imported from ticket #48227: S: drive missing after password change\n>\n"
                "> Company: Northwind Traders\n>\n> Contact: Dana Reyes\n>\n> Priority: High\n>\n> Board: Help Desk",
                "- Affected users changed their passwords on Monday; the drive broke the same day "
                "(from the PSA ticket).",
                "- The share \\\\fs01\\finance is reachable by IP and by name from the affected laptops "
                "(from a diagnostic check).",
                "- Credential Manager holds a stale saved credential for fs01.\n",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- SMB signing may have been enforced on fs01 by the weekend's patches.",
                '- Generated the "Map a network drive" script (PowerShell), 2 times.',
                "- SMB reachability (`Test-NetConnection fs01 -Port 445`): passed.",
                '"Remove the stale saved credential and remap S:": applied, and it fixed the problem. '
                "Sara opened the Q4 budget workbook.",
                '2. Re-run the check "Saved credentials" (`cmdkey /list:fs01`) and confirm it now passes.',
            ],
            "must_not": ["(psa)", "(diagnostic check)", "NORTHWIND\\dana", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "mfa-new-phone",
        "session": {
            "title": "New phone: user can't complete MFA sign-in",
            "problem_summary": "Priya replaced her phone and can no longer approve Microsoft 365 sign-ins.",
            "problem_domain": "identity",
            "intake_text": "Walk-up: Priya has a new phone.\nThe Authenticator prompts still go to the old one.",
        },
        "facts": [
            ("The old phone was wiped and traded in.", "engineer"),
            ("Sign-in logs show MFA denied for priya@northwind.com: no response from the registered device.", "psa"),
            ("A conditional access policy may block registration from outside the office.", "ai"),
        ],
        "checks": [
            {
                "name": "Registered methods",
                "command": "Get-MgUserAuthenticationMethod -UserId priya@northwind.com",
                "result": "failed",
                "output_summary": "Only the old phone's Authenticator is registered",
            }
        ],
        "scripts": [("reset-user-mfa", {"user_principal_name": "priya@northwind.com"})],
        "fixes": [
            {
                "title": "Reset the user's MFA methods so she re-registers",
                "description": "Run Revoke-MgUserSignInSession after removing the Authenticator method.",
                "confidence_pct": 80,
                "outcome": "applied_pending",
                "outcome_notes": "Priya will register the new phone when she signs in from home tonight.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The old phone was wiped and traded in.",
                "Resetting the user's MFA methods so she re-registers should resolve the problem. We have made this "
                "change, but we have not yet seen it work.",
                "Priya will register the new phone when she signs in from home tonight.",
                "If the problem is still there, reply to this ticket and we will pick it up again.",
            ],
            "must_not": ["priya@northwind.com", "Revoke-MgUserSignInSession", "conditional access", "80"],
        },
        ESCALATION: {
            "must": [
                "> Walk-up: Priya has a new phone.\n>\n> The Authenticator prompts still go to the old one.",
                "(from the PSA ticket).",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- A conditional access policy may block registration from outside the office.",
                '- Generated the "Reset a user\'s MFA methods" script (PowerShell).',
                '1. Verify with the user whether "Reset the user\'s MFA methods so she re-registers" fixed the '
                "problem. Priya will register the new phone when she signs in from home tonight.",
                '2. Re-run the check "Registered methods"',
            ],
            "must_not": ["script (PowerShell), 1 times", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "vpn-drops",
        "session": {
            "title": "VPN drops every 20 minutes for remote staff",
            "problem_summary": "Remote staff lose the VPN about every 20 minutes since the firewall upgrade.",
            "problem_domain": "network",
            "intake_text": "Several remote users report the VPN disconnecting.\nStarted after Friday's maintenance.",
            "psa_ticket_id": 48250,
        },
        "facts": [
            ("Drops happen for every remote user, on home broadband and on 4G alike.", "engineer"),
            ("The firewall FW01 at 203.0.113.10 logs an IKE rekey failure at each drop.", "diagnostic_check"),
            ("The client profile may still use the old phase 2 proposal.", "ai"),
        ],
        "checks": [
            {
                "name": "Tunnel reachability",
                "command": "ping -t 203.0.113.10",
                "result": "inconclusive",
                "output_summary": "Replies continue through a drop",
            },
            {
                "name": "Firewall IKE log",
                "command": "diagnose vpn ike log-filter dst-addr4 203.0.113.10",
                "result": "failed",
                "output_summary": "phase 2 rekey: no proposal chosen",
            },
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Raise the IKE lifetime to 28800 seconds on FW01",
                "description": "The upgrade reset the phase 1 lifetime to 1200 seconds.",
                "confidence_pct": 70,
                "outcome": "applied_failed",
                "outcome_notes": "Drops continued at 20-minute intervals.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Drops happen for every remote user, on home broadband and on 4G alike.",
                "## Root cause\n\nWe have not determined the root cause yet.",
                "Raising the IKE lifetime to 28800 seconds on the firewall did not resolve the problem. Drops "
                "continued at 20-minute intervals.",
                "If the problem is still affecting you, reply to this ticket and we will pick it up again.",
            ],
            "must_not": ["FW01", "203.0.113.10", "phase 2", "70"],
        },
        ESCALATION: {
            "must": [
                "> Several remote users report the VPN disconnecting.\n>\n> Started after Friday's maintenance.",
                "- The firewall FW01 at 203.0.113.10 logs an IKE rekey failure at each drop (from a diagnostic check).",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- The client profile may still use the old phase 2 proposal.",
                "- Tunnel reachability (`ping -t 203.0.113.10`): inconclusive. Replies continue through a drop.",
                "## Current hypothesis\n\nNo leading hypothesis yet. Raise the IKE lifetime to 28800 seconds on FW01 "
                "was applied, but it did not fix the problem.",
                '1. Look for another cause: "Raise the IKE lifetime to 28800 seconds on FW01" was applied and did '
                "not fix it; do not repeat it. Drops continued at 20-minute intervals.",
                '2. Re-run the inconclusive check "Tunnel reachability"',
                '3. Follow up the failed check "Firewall IKE log"',
                "It showed: phase 2 rekey: no proposal chosen.",
                "4. Confirm or rule out what the assistant suggested",
            ],
            "must_not": ["Try the suggested fix", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "shared-mailbox-full",
        "session": {
            "title": "Accounts shared mailbox full, mail bouncing",
            "problem_summary": "Mail to the accounts@ shared mailbox bounces because the mailbox is full.",
            "problem_domain": "email",
            "intake_text": "Suppliers say their invoices bounce.\nBounce message: mailbox full (552 5.2.2).",
            "psa_ticket_id": 48262,
        },
        "facts": [
            ("The shared mailbox is at its 50 GB limit.", "diagnostic_check"),
            ("No archive policy was ever applied to the mailbox.", "engineer"),
            ("Mailbox size reported by Get-MailboxStatistics: 49.9 GB.", "script_output"),
        ],
        "checks": [
            {
                "name": "Mailbox size",
                "command": "Get-MailboxStatistics accounts@northwind.com | Select TotalItemSize",
                "result": "failed",
                "output_summary": "49.9 GB of 50 GB",
            }
        ],
        "scripts": [("archive-mailbox", {"mailbox": "accounts@northwind.com"})],
        "fixes": [
            {
                "title": "Enable the online archive and move items older than two years",
                "description": "The mailbox filled because nothing was ever archived.",
                "confidence_pct": 90,
                "outcome": "applied_partial",
                "outcome_notes": "Mail is delivered again; the archive move is still running and will take a day.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The shared mailbox is at its 50 GB limit.",
                "- No archive policy was ever applied to the mailbox.",
                "We found that the mailbox filled because nothing was ever archived.",
                "Enabling the online archive and moving items older than two years partly resolved the problem.",
                "Mail is delivered again; the archive move is still running and will take a day.",
            ],
            "must_not": ["Get-MailboxStatistics", "accounts@northwind.com", "49.9", "90"],
        },
        ESCALATION: {
            "must": [
                "> Suppliers say their invoices bounce.\n>\n> Bounce message: mailbox full (552 5.2.2).",
                "- Mailbox size reported by Get-MailboxStatistics: 49.9 GB (from script output).",
                "- The shared mailbox is at its 50 GB limit (from a diagnostic check).",
                '- Generated the "Start a mailbox archive" script (PowerShell).',
                "(90% confidence; applied, and it partly fixed the problem)",
                '1. Finish what "Enable the online archive and move items older than two years" left unresolved: '
                "Mail is delivered again",
                '2. Follow up the failed check "Mailbox size"',
            ],
            "must_not": ["Suggested by the assistant", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "warehouse-wifi",
        "session": {
            "title": "Warehouse Wi-Fi drops scanners",
            "problem_summary": "Handheld scanners in the warehouse lose Wi-Fi near the loading bay.",
            "problem_domain": "network",
            "intake_text": "Warehouse lead: scanners disconnect near bay 3 all day.\nStarted last week.",
            "psa_ticket_id": 48270,
        },
        "facts": [
            ("Scanners near the loading bay see AP-WH-02 on channel 6 at -78 dBm.", "diagnostic_check"),
            ("The new neighbouring tenant's network also uses channel 6.", "engineer"),
            ("The scanners' firmware may not roam between access points.", "ai"),
        ],
        "checks": [
            {
                "name": "Wireless interface",
                "command": "netsh wlan show interfaces",
                "result": "failed",
                "output_summary": "Signal 38%, channel 6, BSSID of AP-WH-02",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Move the warehouse access point to channel 11",
                "description": "Channel 6 is congested by the neighbour's network.",
                "confidence_pct": 85,
                "outcome": "proposed",
                "outcome_notes": "",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The new neighbouring tenant's network also uses channel 6.",
                "We have not confirmed the root cause yet. Our findings point to this cause: Channel 6 is congested "
                "by the neighbour's network.",
                "Our recommended fix is moving the warehouse access point to channel 11.",
                "We have not made this change yet; reply to this ticket if you would like us to make it.",
            ],
            "must_not": ["AP-WH-02", "netsh", "-78 dBm", "firmware", "85"],
        },
        ESCALATION: {
            "must": [
                "> Warehouse lead: scanners disconnect near bay 3 all day.\n>\n> Started last week.",
                "(from a diagnostic check).",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- The scanners' firmware may not roam between access points.",
                "- Wireless interface (`netsh wlan show interfaces`): failed.",
                "Move the warehouse access point to channel 11 (85% confidence; proposed, not applied yet).",
                "1. Try the suggested fix: Move the warehouse access point to channel 11.",
                '2. Follow up the failed check "Wireless interface"',
                "3. Confirm or rule out what the assistant suggested: The scanners' firmware may not roam between "
                "access points.",
            ],
            "must_not": ["Reproduce the problem with the user"],
        },
    },
    {
        "id": "licence-missing",
        "session": {
            "title": "New starter can't open Word or Excel",
            "problem_summary": "A new starter's Office apps say they are unlicensed.",
            "problem_domain": "licensing",
            "intake_text": "HR: Jordan started today.\nWord says 'Unlicensed product'.",
            "psa_ticket_id": 48281,
        },
        "facts": [
            ("The account jordan.lee@northwind.com has no Microsoft 365 licence assigned.", "diagnostic_check"),
            ("The onboarding request asked for a Business Premium licence.", "psa"),
            ("All 40 Business Premium licences were in use.", "engineer"),
        ],
        "checks": [
            {
                "name": "Licence details",
                "command": "Get-MgUserLicenseDetail -UserId jordan.lee@northwind.com",
                "result": "failed",
                "output_summary": "No licences",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Buy one more Business Premium licence and assign it",
                "description": "Add a seat in the partner portal, then assign it to the new starter.",
                "confidence_pct": 95,
                "outcome": "applied_success",
                "outcome_notes": "",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The onboarding request asked for a Business Premium licence.",
                "- All 40 Business Premium licences were in use.",
                "## Root cause\n\nWe found that all 40 Business Premium licences were in use.",
                "Buying one more Business Premium licence and assigning it resolved the problem.",
            ],
            "must_not": ["jordan.lee@northwind.com", "Get-MgUserLicenseDetail", "95"],
        },
        ESCALATION: {
            "must": [
                "> HR: Jordan started today.\n>\n> Word says 'Unlicensed product'.",
                "- The onboarding request asked for a Business Premium licence (from the PSA ticket).",
                "- All 40 Business Premium licences were in use.\n",
                "## What we've tried\n\n- Licence details (`Get-MgUserLicenseDetail -UserId jordan.lee@northwind.com`)",
                '2. Re-run the check "Licence details"',
            ],
            "must_not": ["Suggested by the assistant", "Generated the"],
        },
    },
    {
        "id": "backup-failing",
        "session": {
            "title": "Nightly backup job failing",
            "problem_summary": "The nightly backup of the file server has failed three nights running.",
            "problem_domain": "backup",
            "intake_text": "Automated alert: Backup job 'FS nightly' failed.\nRepeated on 3 consecutive nights.",
            "psa_ticket_id": 48290,
        },
        "facts": [
            ("The backup repository on BKP01 has 2% free space.", "diagnostic_check"),
            ("The failures started the night the retention policy was changed.", "psa"),
            ("Old restore points may not be deleted because of an immutability flag.", "ai"),
        ],
        "checks": [
            {
                "name": "Repository space",
                "command": "Get-VBRBackupRepository -Name 'BKP01-Repo' | Get-VBRRepositoryStorage",
                "result": "failed",
                "output_summary": "2% free",
            },
            {
                "name": "Job log",
                "command": "Get-VBRSession -Job 'FS nightly' -Last",
                "result": "inconclusive",
                "output_summary": "Failed at 03:12 with a timeout, no further detail",
            },
        ],
        "scripts": [],
        "fixes": [],
        RESOLUTION: {
            "must": [
                "- The failures started the night the retention policy was changed.",
                "## Root cause\n\nWe have not determined the root cause yet.",
                "## Resolution\n\nWe did not make a specific change to fix this. If the problem is still affecting "
                "you, reply to this ticket and we will pick it up again.",
            ],
            "must_not": ["BKP01", "immutability", "Get-VBR", "FS nightly"],
        },
        ESCALATION: {
            "must": [
                "> Automated alert: Backup job 'FS nightly' failed.\n>\n> Repeated on 3 consecutive nights.",
                "- The backup repository on BKP01 has 2% free space (from a diagnostic check).",
                "- The failures started the night the retention policy was changed (from the PSA ticket).",
                "Suggested by the assistant, not confirmed yet:\n\n"
                "- Old restore points may not be deleted because of an immutability flag.",
                "## Current hypothesis\n\nNo leading hypothesis yet.",
                '1. Follow up the failed check "Repository space"',
                '2. Re-run the inconclusive check "Job log"',
                "3. Confirm or rule out what the assistant suggested",
            ],
            "must_not": ["Reproduce the problem with the user", "Try the suggested fix"],
        },
    },
    {
        "id": "slow-laptop",
        "session": {
            "title": "Laptop very slow after startup",
            "problem_summary": "The sales manager's laptop takes 15 minutes to become usable after startup.",
            "problem_domain": "endpoint",
            "intake_text": "Tom: laptop crawls every morning for 15 minutes.",
            "psa_ticket_id": 48301,
        },
        "facts": [
            ("Task Manager shows the disk at 100% active time for the first 15 minutes.", "engineer"),
            ("The laptop LT-SALES-07 has a spinning hard disk.", "engineer"),
            ("Windows Search indexing may be rebuilding at every startup.", "ai"),
        ],
        "checks": [
            {
                "name": "Disk health",
                "command": "Get-PhysicalDisk | Select FriendlyName, HealthStatus, MediaType",
                "result": "passed",
                "output_summary": "Healthy, HDD",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Replace the hard disk with an SSD",
                "description": "",
                "confidence_pct": 65,
                "outcome": "dismissed",
                "outcome_notes": "",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Task Manager shows the disk at 100% active time for the first 15 minutes.",
                "We have not determined the root cause yet.",
                "We did not make a specific change to fix this.",
            ],
            "must_not": ["LT-SALES-07", "Windows Search", "Get-PhysicalDisk", "65"],
        },
        ESCALATION: {
            "must": [
                "> Tom: laptop crawls every morning for 15 minutes.",
                "- The laptop LT-SALES-07 has a spinning hard disk.",
                "Suggested by the assistant, not confirmed yet:",
                "## Current hypothesis\n\nNo leading hypothesis yet. Replace the hard disk with an SSD was dismissed.",
                '1. Find a new candidate fix: "Replace the hard disk with an SSD" was dismissed.',
                "2. Confirm or rule out what the assistant suggested: Windows Search indexing may be rebuilding",
            ],
            "must_not": ["Re-run the check", "Follow up the failed check", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "teams-audio",
        "session": {
            "title": "Teams calls: others can't hear the user",
            "problem_summary": "In Teams calls nobody can hear Ahmed, although he hears them.",
            "problem_domain": "collaboration",
            "intake_text": (
                "Imported from ticket #48315: Teams microphone not working\n"
                "Contact: Ahmed Khan\n"
                "Board: Help Desk\n\n"
                "Since Tuesday nobody hears me in Teams.\n"
                "Headset works on my phone."
            ),
            "psa_ticket_id": 48315,
        },
        "facts": [
            ("The headset microphone works in the Windows sound recorder.", "engineer"),
            ("Teams uses the webcam's microphone as its default device.", "diagnostic_check"),
        ],
        "checks": [
            {
                "name": "Audio endpoints",
                "command": "Get-PnpDevice -Class AudioEndpoint -Status OK",
                "result": "passed",
                "output_summary": "Headset and webcam microphones present",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Set the headset as the default communication device in Teams",
                "description": "Tuesday's webcam driver update made the webcam the default microphone.",
                "confidence_pct": 88,
                "outcome": "applied_success",
                "outcome_notes": "Test call with Ahmed at 2pm was clear both ways.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- The headset microphone works in the Windows sound recorder.",
                "We found that Tuesday's webcam driver update made the webcam the default microphone.",
                "Setting the headset as the default communication device in Teams resolved the problem.",
                "Test call with Ahmed at 2pm was clear both ways.",
            ],
            "must_not": ["Get-PnpDevice", "AudioEndpoint", "88"],
        },
        ESCALATION: {
            "must": [
                "> Imported from ticket #48315: Teams microphone not working\n>\n> Contact: Ahmed Khan\n>\n"
                "> Board: Help Desk\n>\n> Since Tuesday nobody hears me in Teams.\n>\n> Headset works on my phone.",
                "- Teams uses the webcam's microphone as its default device (from a diagnostic check).",
                "- Audio endpoints (`Get-PnpDevice -Class AudioEndpoint -Status OK`): passed.",
                '"Set the headset as the default communication device in Teams": applied, and it fixed the problem. '
                "Test call with Ahmed at 2pm was clear both ways.",
                '1. Confirm with the user that the problem is still fixed: "Set the headset as the default '
                'communication device in Teams" was applied and worked.',
            ],
            "must_not": ["Suggested by the assistant", "Re-run the check", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "account-lockout",
        "session": {
            "title": "User locked out several times a day",
            "problem_summary": "Marta's account locks every hour or two since her password change.",
            "problem_domain": "identity",
            "intake_text": "Marta: locked out again, third time today.",
            "psa_ticket_id": 48322,
        },
        "facts": [
            ("Event 4740 on DC01 names the caller as the Exchange ActiveSync endpoint.", "diagnostic_check"),
            ("Marta's old phone is still set up with her mailbox and the old password.", "engineer"),
            ("Bad password attempts arrive from 10.0.40.17 every 30 minutes.", "script_output"),
        ],
        "checks": [
            {
                "name": "Lockout source",
                "command": "Get-WinEvent -ComputerName DC01 -FilterHashtable @{LogName='Security';Id=4740}",
                "result": "failed",
                "output_summary": "Caller: ActiveSync, from 10.0.40.17",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Remove the mail account from the old phone and unlock the account",
                "description": "The old phone kept retrying the expired password against the mail server.",
                "confidence_pct": 92,
                "outcome": "applied_success",
                "outcome_notes": "No lockout in the four hours since.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Marta's old phone is still set up with her mailbox and the old password.",
                "We found that the old phone kept retrying the expired password against the mail server.",
                "Removing the mail account from the old phone and unlocking the account resolved the problem.",
                "No lockout in the four hours since.",
            ],
            "must_not": ["DC01", "10.0.40.17", "Get-WinEvent", "FilterHashtable", "92"],
        },
        ESCALATION: {
            "must": [
                "> Marta: locked out again, third time today.",
                "- Bad password attempts arrive from 10.0.40.17 every 30 minutes (from script output).",
                "- Event 4740 on DC01 names the caller as the Exchange ActiveSync endpoint (from a diagnostic check).",
                '2. Re-run the check "Lockout source"',
            ],
            "must_not": ["Suggested by the assistant", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "certificate-expired",
        "session": {
            "title": "Remote desktop gateway certificate expired",
            "problem_summary": "Staff at home get a certificate warning and cannot connect to remote desktop.",
            "problem_domain": "remote access",
            "intake_text": "Several users: 'The certificate has expired' when connecting from home.\nUrgent.",
            "psa_ticket_id": 48330,
        },
        "facts": [
            ("The gateway certificate for rdg.northwind.local expired on Sunday.", "diagnostic_check"),
            ("Connections from inside the office work.", "engineer"),
            ("The renewal reminder e-mail went to a former employee's mailbox.", "psa"),
        ],
        "checks": [
            {
                "name": "Certificate expiry",
                "command": "certutil -store My rdg.northwind.local",
                "result": "failed",
                "output_summary": "NotAfter: last Sunday",
            }
        ],
        "scripts": [
            ("renew-certificate", {"template": "WebServer", "common_name": "rdg.northwind.local"}),
        ],
        "fixes": [
            {
                "title": "Renew the gateway certificate and bind it to the RD Gateway",
                "description": "Import the renewed certificate on RDG01 and restart the TSGateway service.",
                "confidence_pct": 97,
                "outcome": "applied_success",
                "outcome_notes": "Staff connected to remote desktop from home without a warning.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Connections from inside the office work.",
                "- The renewal reminder e-mail went to a former employee's mailbox.",
                "We found that the gateway certificate for the remote desktop server expired on Sunday.",
                "Renewing the gateway certificate and binding it to the RD Gateway resolved the problem.",
                "Staff connected to remote desktop from home without a warning.",
            ],
            "must_not": ["rdg.northwind.local", "RDG01", "certutil", "TSGateway", "97"],
        },
        ESCALATION: {
            "must": [
                "> Several users: 'The certificate has expired' when connecting from home.\n>\n> Urgent.",
                "- The gateway certificate for rdg.northwind.local expired on Sunday (from a diagnostic check).",
                '- Generated the "Request a renewed certificate" script (PowerShell).',
                '2. Re-run the check "Certificate expiry"',
            ],
            "must_not": ["2 times", "Suggested by the assistant"],
        },
    },
    {
        "id": "outlook-prompts",
        "session": {
            "title": "Outlook keeps prompting for a password after the mailbox move",
            "problem_summary": "Since Monday's mailbox move Outlook asks for credentials every few minutes.",
            "problem_domain": "email",
            "intake_text": "Imported from ticket #48213: Outlook password prompts\nBoard: Help Desk",
            "psa_ticket_id": 48213,
        },
        "facts": [
            ("Only Outlook desktop prompts; Outlook on the web and mobile work.", "engineer"),
            ("Credential Manager on WS-FIN-07 holds a stale MicrosoftOffice16 entry.", "diagnostic_check"),
        ],
        "checks": [
            {
                "name": "Stored credentials",
                "command": "cmdkey /list",
                "result": "failed",
                "output_summary": "Stale MicrosoftOffice16 entry for the old tenant",
            }
        ],
        "scripts": [],
        "fixes": [
            {
                "title": "Recreate the Outlook profile",
                "description": "",
                "confidence_pct": 60,
                "outcome": "applied_failed",
                "outcome_notes": "Prompts came back within ten minutes.",
            },
            {
                "title": "Remove the cached Office credentials and sign in again",
                "description": "cmdkey /delete:MicrosoftOffice16_Data:SSPI then klist purge.",
                "confidence_pct": 88,
                "outcome": "applied_partial",
                "outcome_notes": "The desktop no longer prompts; the laptop still prompts once a day.",
            },
        ],
        RESOLUTION: {
            "must": [
                "- Only Outlook desktop prompts; Outlook on the web and mobile work.",
                "Removing the cached Office credentials and signing in again partly resolved the problem.",
                "The desktop no longer prompts; the laptop still prompts once a day.",
            ],
            "must_not": ["WS-FIN-07", "MicrosoftOffice16", "cmdkey", "klist", "88"],
        },
        ESCALATION: {
            "must": [
                "> Imported from ticket #48213: Outlook password prompts\n>\n> Board: Help Desk",
                '- "Recreate the Outlook profile": applied, but it did not fix the problem. Prompts came back within '
                "ten minutes.",
                '- "Remove the cached Office credentials and sign in again": applied, and it partly fixed the problem.',
                '1. Finish what "Remove the cached Office credentials and sign in again" left unresolved: The '
                "desktop no longer prompts; the laptop still prompts once a day.",
                '2. Follow up the failed check "Stored credentials" (`cmdkey /list`).',
            ],
            "must_not": ["Mailbox move Board: Help Desk", "Reproduce the problem with the user"],
        },
    },
    {
        "id": "gpo-technical-title",
        "session": {
            "title": "Drive maps missing on one workstation",
            "problem_summary": "One accounts PC does not get its mapped drives at logon.",
            "problem_domain": "group policy",
            "intake_text": "Lena: no H: or S: drive this morning.",
        },
        "facts": [
            ("Other PCs in accounts get their drives.", "engineer"),
            ("WS-ACC-03 last applied Group Policy eleven days ago.", "diagnostic_check"),
        ],
        "checks": [
            {
                "name": "Group Policy result",
                "command": "gpresult /r /scope computer",
                "result": "failed",
                "output_summary": "Last applied eleven days ago",
            }
        ],
        "scripts": [("flush-dns", {"adapter": "Ethernet"}), ("flush-dns", {"adapter": "Ethernet"})],
        "fixes": [
            {
                "title": "Run gpupdate /force on WS-ACC-03",
                "description": "",
                "confidence_pct": 75,
                "outcome": "applied_success",
                "outcome_notes": "Lena logged off and on; H: and S: are back.",
            }
        ],
        RESOLUTION: {
            "must": [
                "- Other PCs in accounts get their drives.",
                "We did not identify a more specific cause than what the fix described below put right.",
                "The fix we applied resolved the problem. Lena logged off and on; H: and S: are back.",
            ],
            "must_not": ["WS-ACC-03", "gpupdate", "/force", "Ethernet", "75"],
        },
        ESCALATION: {
            "must": [
                "> Lena: no H: or S: drive this morning.",
                '- Generated the "Flush DNS and renew the lease" script (Windows batch), 2 times.',
                "Run gpupdate /force on WS-ACC-03 (75% confidence; applied, and it fixed the problem).",
            ],
            "must_not": ["Suggested by the assistant"],
        },
    },
]
