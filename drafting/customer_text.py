"""Text fit for the customer: what the offline drafter may put in a customer-visible resolution note.

The customer's note never shows commands, script text, host names, UNC or file paths, IP addresses,
user names or confidence figures (DESIGN §1). `customer_safe` keeps a text's plain sentences and
leaves out every sentence that shows one of those: a sentence is omitted, never cut into pieces.
The one rewrite it makes is a host name after a preposition, which reads naturally as the machine it
names: "on PRINT01" → "on the print server", "for fs01" → "for the file server" (`HOST_ROLES`).

A word is a host name only when its shape says so (a role word and a number: PRINT01, DC02, WS-FIN-07,
SRV-APP01; or a name in an internal domain: fs01.corp.local) or when the session shows it is one (the
host of a UNC path). Any other word of capitals and digits (WIN11, MFC9340, FY2024, KB5034441, 23H2,
COVID-19) is not guessed to be a machine: the sentence keeps it as written, unless the session itself
uses the word in a command or a script, when the sentence is left out rather than rewritten.
"""

import re

# PowerShell's common verbs: `Get-PrintJob`, `Test-NetConnection` are commands; "Wi-Fi" and "Add-In" are not.
_CMDLET_VERBS = (
    "Add|Approve|Backup|Clear|Close|Compare|Confirm|Connect|Convert|ConvertFrom|ConvertTo|Copy|Disable|"
    "Disconnect|Dismount|Enable|Enter|Exit|Export|Find|ForEach|Format|Get|Grant|Import|Install|Invoke|"
    "Join|Lock|Measure|Mount|Move|New|Open|Out|Publish|Read|Register|Remove|Rename|Repair|Reset|Resolve|"
    "Restart|Restore|Resume|Revoke|Search|Select|Send|Set|Show|Start|Stop|Suspend|Sync|Test|Uninstall|"
    "Unlock|Unregister|Update|Wait|Where|Write"
)
_COMMAND_TOOLS = (
    "arp|bcdedit|certutil|chkdsk|cmdkey|curl|dcdiag|diskpart|dism|dsregcmd|gpresult|gpupdate|icacls|"
    "ipconfig|klist|msiexec|netsh|netstat|nltest|nslookup|powershell|pwsh|regedit|repadmin|robocopy|"
    "schtasks|sfc|ssh|sudo|systemctl|takeown|taskkill|tracert|wevtutil|wmic"
)
# What a host is, from the role word its name starts with. A name is a host by its shape only when it
# starts with one of these words (PRINT01, SRV-APP01); a host the session shows by name (the host of a
# UNC path) and starting with none of them is "the server".
HOST_ROLES = {
    "the print server": ("PRINT", "PRN", "PS"),
    "the file server": ("FS", "FILE", "FILES", "NAS"),
    "the domain controller": ("DC", "AD", "ADDC"),
    "the mail server": ("MAIL", "EX", "EXCH", "SMTP"),
    "the backup server": ("BKP", "BACKUP", "BAK", "VEEAM"),
    "the remote desktop server": ("RDG", "RDS", "RDSH", "TS"),
    "the firewall": ("FW", "FIREWALL"),
    "the VPN gateway": ("VPN",),
    "the access point": ("AP", "WAP"),
    "the database server": ("SQL", "DB"),
    "the computer": ("WS", "PC", "LT", "NB", "DESKTOP", "LAPTOP"),
    "the server": ("SRV", "SVR", "SERVER", "HOST", "HV", "VM", "ESX", "ESXI"),
}
_ROLE_WORDS = "|".join(sorted((word for words in HOST_ROLES.values() for word in words), key=len, reverse=True))
# A role word and a two- or three-digit number (PRINT01, FS001; never a year: EX2019), or a role word and
# hyphenated parts with a digit among them and no year (WS-FIN-07, SRV-APP01, AP-WH-02; not SQL-2019).
_ROLE_SHAPED = rf"(?:{_ROLE_WORDS})(?:\d{{2,3}}|(?=[A-Z0-9-]*\d)(?:-(?!\d{{4}}\b)[A-Z0-9]+)+)"
_INTERNAL_DOMAIN = r"[\w-]+(?:\.[\w-]+)*\.(?:local|lan|corp|internal|intra|localdomain|home\.arpa)"
_HOST = rf"(?<![\w-])(?:{_ROLE_SHAPED}|{_INTERNAL_DOMAIN})(?![\w-])"
# A name the session uses is a host when it has a host's shape in any case (fs01, ws-fin-07), or is a
# lower-case name with three parts or more (mail.northwind.com; not setup.exe or System.Windows.Forms).
_HOST_SHAPED_NAME = re.compile(rf"(?i:{_ROLE_SHAPED}|{_INTERNAL_DOMAIN})|[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{{2,}}")
_INTERNAL_DETAIL = re.compile(
    "|".join(
        (
            r"`",  # inline code
            r"\[REDACTED\]",
            r"\\\\[\w.$-]+",  # a UNC path
            r"\b[A-Za-z]:\\",  # C:\ProgramData
            r"\b[A-Za-z][\w-]*\\[\w.$-]+",  # NORTHWIND\dana, or any backslash path
            r"(?:^|\s)/(?:etc|var|usr|opt|home|tmp|srv)/",
            r"\bHK(?:LM|CU|CR|U|EY_[A-Z_]+)\b",  # the registry
            r"\b(?:\d{1,3}\.){3}\d{1,3}\b",  # an IPv4 address
            r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",  # an e-mail address or user principal name
            rf"\b(?:{_CMDLET_VERBS})-[A-Z][A-Za-z]{{2,}}\b",
            rf"\b(?:{_COMMAND_TOOLS})\b",
            r"\bnet (?:use|start|stop|user)\b",
            r"\b[\w-]+\.(?:exe|ps1|psm1|bat|cmd|msi|sh|vbs|reg|dll)\b",
            r"(?:^|\s)/[a-z][\w:-]*",  # a command flag: /force, /r, /delete:target
            r"(?:^|\s)--?[A-Za-z][\w-]*",  # -Force, --all
            r"(?i:\bscripts?\b)",
            r"(?i:\bconfiden(?:ce|t)\b)",
            r"\b[A-Z][a-z]+[A-Z]\w*\d\w*\b",  # an identifier: MicrosoftOffice16_Data
            _HOST,
        )
    )
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_HOST_LIKE = re.compile(r"^[A-Za-z][\w-]*\d[\w-]*$|^[A-Za-z][\w-]*(?:\.[\w-]+)+$")
_PREPOSITION = r"\b((?i:on|for|from|to|at|with|via|against))\s+"
_AT_HOST = re.compile(rf"{_PREPOSITION}({_HOST})")


def host_role(host: str) -> str:
    """ "the print server" for PRINT01, "the file server" for fs01, "the computer" for WS-FIN-07."""
    prefix = re.match(r"[A-Za-z]*", host).group().upper()
    return next((role for role, prefixes in HOST_ROLES.items() if prefix in prefixes), "the server")


def _as_role(match: re.Match) -> str:
    return f"{match.group(1)} {host_role(match.group(2))}"


def customer_safe(
    text: str, *, internal_names: frozenset[str] = frozenset(), hosts: frozenset[str] = frozenset()
) -> str:
    """`text` with every sentence that shows internal detail left out ("" when none is left).

    Internal detail is what `_INTERNAL_DETAIL` matches (inline code, UNC and file paths, IP and e-mail
    addresses, cmdlets, command-line tools, flags, script files, "script", "confidence", host names
    such as PRINT01 or WS-FIN-07) and any of `internal_names`: the session's own names (fs01) and the
    quoted arguments of its commands (`session_internal_names`). After a preposition, a host becomes
    the machine it names: a host-shaped word, a host-shaped one of `internal_names`, or one of `hosts`
    (the machines the session shows by name, `session_hosts`). Any other name is never guessed to be
    a machine: its sentence is left out.
    """
    names = sorted(internal_names | hosts, key=len, reverse=True)
    machines = [name for name in names if name in hosts or _HOST_SHAPED_NAME.fullmatch(name)]
    named, at_named_host = _any_of(names), _any_of(machines, before=_PREPOSITION)
    kept = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        sentence = _AT_HOST.sub(_as_role, sentence)
        if at_named_host:
            sentence = at_named_host.sub(_as_role, sentence)
        if sentence and not _INTERNAL_DETAIL.search(sentence) and not (named and named.search(sentence)):
            kept.append(sentence)
    return " ".join(kept)


def _any_of(names: list[str], *, before: str = "") -> re.Pattern | None:
    """A case-insensitive pattern for any of `names` as a whole word, or None for no names."""
    if not names:
        return None
    return re.compile(rf"{before}(?<![\w.-])({'|'.join(map(re.escape, names))})(?![\w-])", re.I)


_UNC_HOST = re.compile(r"\\\\([\w.-]+)")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def session_internal_names(bundle: dict) -> frozenset[str]:
    """The names a session itself shows to be internal: its hosts (`session_hosts`), the host-like words
    (a digit or a dot in them: fs01, mail.northwind.local) of its check commands and script parameters,
    and the quoted arguments of its commands ('Reception-HP')."""
    names = set(session_hosts(bundle))
    for text in _technical_texts(bundle):
        names.update(word.strip("'\",;()") for word in text.split() if _HOST_LIKE.match(word.strip("'\",;()")))
        names.update(single or double for single, double in _QUOTED.findall(text))
    return frozenset(name for name in names if len(name) > 2 and name != "[REDACTED]")


def session_hosts(bundle: dict) -> frozenset[str]:
    """The machines a session shows by name, whatever their shape: the host of every UNC path in its facts,
    check commands and script parameters (\\\\NWFILES\\share: NWFILES)."""
    texts = [fact["text"] for fact in bundle["facts"]] + _technical_texts(bundle)
    return frozenset(host for text in texts for host in _UNC_HOST.findall(text) if len(host) > 2)


def _technical_texts(bundle: dict) -> list[str]:
    """The session's check commands and the values of its script parameters."""
    texts = [check["command"] for check in bundle["checks"]]
    for script in bundle["scripts"]:
        texts += [str(value) for parameters in script["parameters_used"] for value in parameters.values()]
    return texts
