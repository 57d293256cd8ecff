"""Secret-looking strings are replaced before anything leaves the process for the model.

Password script parameters are already stored redacted; this catches what engineers paste into
facts, checks and notes. Three kinds of evidence, in order: where a value sits (after `password=`,
`-Password`, `/p:`, `net use … /user:x`, `-AsPlainText`, in `https://user:pass@host`), the shape of a
known credential (AWS, GitHub, Slack, Stripe, Azure client secrets, JWTs, BitLocker recovery keys,
private key blocks), and long random runs that no keyword announces. `python -m bench.redaction`
measures the rules on tests/llm/redaction_corpus.py, against detect-secrets.
"""

import re
from collections.abc import Callable

REDACTED = "[REDACTED]"

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
    r"|Private-Lines:[ \t]*\d+\n[A-Za-z0-9+/=\n]+",  # PuTTY .ppk
    re.DOTALL,
)

# --- Where a value sits --------------------------------------------------------------------------

# A name that announces a secret, as the whole name or its last part: `password`, `DB_PASS`,
# `SmtpPassword`, `aws_secret_access_key`, `x-api-key`, `privateKey`, `private key`, `rocommunity`.
# `PasswordLastSet` and `Bypass` are not: the keyword must end the name and start a part of it (or,
# in capitals, end it: `PGPASSWORD`). A PowerShell variable counts when a literal is assigned to it.
_KEYWORD = (
    r"pass(?:word|wd|phrase|code)?|pwd|pw|(?:psk)?secret|psk|pre[ _-]?shared[ _-]?key|key|token|sig"
    r"|(?:ro|rw)?community(?:[ _-]?string)?|connection[ _-]?string"
    r"|(?:private|secret|api|access|auth|client|shared|account|recovery)[ _-]?(?:key|token|secret|password)"
)
_NAME = (
    r"(?<![\w$])(?P<name>\$?(?:[\w.-]{0,40}[_.-]|[\w.-]{0,40}[a-z0-9](?=[A-Z])"
    rf"|[A-Z0-9]{{1,20}}(?=PASSWORD|PASSWD|PWD|SECRET|TOKEN))?(?i:{_KEYWORD}))(?![\w])"
)
_VALUE = r"""(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s,;"']+))"""
_ASSIGNED = re.compile(
    rf"""{_NAME}(?P<close>["'\]]{{0,2}})
    (?:(?P<assign>[ \t]*(?::=|=>|[:=])[ \t]*)|(?P<space>[ \t]+)(?:[0-9][ \t]+(?=\S))?)  # `secret 0 x`: Cisco
    {_VALUE}""",
    re.VERBOSE,
)
# A public key is named like a private one; `<add key="SmtpPassword" value=…>` names a setting.
_NOT_SECRET_NAMES = re.compile(r"(?i)public[ _-]?key$")
_SETTING_NAME = re.compile(r"[ \t]+value=")
# Values that are placeholders, references or labels rather than secrets: leave them readable.
_NOT_A_VALUE = re.compile(
    r"""(?ix)^(?:\[redacted\].*|<redacted>|\*+|x{3,}|none|null|n/a|changed|reset|expired|clear|true|false
    |\$\{?[a-z_][\w:]*\}?            # $env:SNMP_COMMUNITY, ${DB_PASS}: a variable, not its value
    |%\w+%|\{\{.*\}\}|<[\w -]+>        # %PASSWORD%, {{ password }}, <password>
    |-[a-z]\w*|.*:                   # the next -Parameter, the next `Label:`
    |HK(?:LM|CU|CR|U|CC|EY_\w+)[\\:].* # Key: HKLM\SOFTWARE\…, a registry key
    )$"""
)


def _value_span(match: re.Match) -> tuple[int, int]:
    group = next(name for name in ("value", "dq", "sq", "bare") if match.groupdict().get(name) is not None)
    return match.span(group)


def _replaced(match: re.Match) -> str:
    start, end = _value_span(match)
    whole = match.group(0)
    return whole[: start - match.start()] + REDACTED + whole[end - match.start() :]


# Paths, URLs, e-mail addresses, host names, GUIDs, KB numbers and error codes follow a keyword in
# prose ("Key point: KB5034441 …") without being secrets.
_NOT_A_PASSWORD = re.compile(
    r"[\\/]|^[\w.+-]+@[\w-]+\.[\w.]+$|^[\w-]+(?:\.[\w-]+)+$|^(?:KB\d+|0x[0-9a-fA-F]+)\W?$"
    r"|^\{?[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\}?$"
)


def _looks_secret(value: str) -> bool:
    """After a bare space ("the password expired", "key HKLM\\…") only password-like words count."""
    if len(value) < 6 or _NOT_A_PASSWORD.search(value):
        return False
    if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", value):  # kv-contoso-prod-001: a resource name
        return False
    letters, digits = re.search(r"[A-Za-z]", value), re.search(r"\d", value)
    return bool(letters and (digits or re.search(r"[^\w.-]", value)))


def _any_value(value: str) -> bool:
    return not _NOT_A_VALUE.match(value)


def _password_like(value: str) -> bool:
    return _any_value(value) and _looks_secret(value)


def _assigned(match: re.Match) -> str:
    start, end = _value_span(match)
    value = match.string[start:end]
    name_and_word_before = match.string[max(0, match.start() - 7) : match.end("name")]
    if (
        _NOT_SECRET_NAMES.search(name_and_word_before)
        or _SETTING_NAME.match(match.string, match.end())
        or _NOT_A_VALUE.match(value)
    ):
        return match.group(0)
    quoted = match.group("dq") is not None or match.group("sq") is not None
    switch = match.group("name").startswith("-")  # -Password x, --password x, -SecretKey x
    if match.group("name").startswith("$") and not quoted:  # $pw = ConvertTo-SecureString …
        return match.group(0)
    if match.group("space") is not None and (
        value.startswith("(")  # -Password (Read-Host …): an expression
        or not (switch or quoted or _looks_secret(value))
    ):
        return match.group(0)
    return _replaced(match)


# Each rule: a pattern whose `value` (or `dq`, `sq`, `bare`) group is the secret, and what the value
# must look like to be taken for one. Patterns look ahead within one command of bounded length: a
# scan to the end of a long paste for every `-u` or `snmpwalk` in it would take quadratic time.
_SAME_COMMAND = r"[^\n]{0,200}?"
_NET_USE = r"(?i)\bnet[ \t]+use(?:[ \t]+(?:[a-z]:|\*|\\\\\S+|/\S+))*[ \t]+(?![a-z]:(?:\s|$)|\*(?:\s|$))"
_SETTING = r"[\w.-]{0,40}?"
_POSITIONAL_RULES: list[tuple[re.Pattern, Callable[[str], bool]]] = [
    # <add key="SmtpPassword" value="…" />, <keyMaterial>…</keyMaterial>, netsh's "Key Content : …"
    (re.compile(rf"""key=["']{_SETTING}(?i:{_KEYWORD})["'][ \t]+value=["'](?P<value>[^"'\n]*)["']"""), _any_value),
    (re.compile(rf"<(?P<tag>(?i:keyMaterial|{_SETTING}(?:{_KEYWORD})))>(?P<value>[^<\n]+)</(?P=tag)>"), _any_value),
    (re.compile(r"(?i)\bKey Content[ \t]*:[ \t]*(?P<value>\S(?:[^\n]*\S)?)"), _any_value),
    # https://user:pass@host, curl -u user:pass, contoso+publickey:privatekey and "Private: …" (ConnectWise)
    (re.compile(r"(?i)\b[a-z][a-z0-9+.-]{0,20}://[^\s/:@]*:(?P<value>[^\s/@]+)@"), _any_value),
    (re.compile(r"(?<!\S)(?:-u|--user)[ \t]+[^\s:]+:(?P<value>\S+)"), _any_value),
    (re.compile(r"\b[\w.-]{1,40}\+[A-Za-z0-9]{16}:(?P<value>[A-Za-z0-9]{16})\b"), _any_value),
    (re.compile(r"(?i)\bprivate\b[ \t]*[:=][ \t]*(?P<value>(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{16,})\b"), _any_value),
    # Query parameters that carry credentials: ?sig=…, &access_token=…, #id_token=…
    (
        re.compile(
            r"(?i)[?&#](?:sig|signature|(?:access|id|refresh)_token|token|api_?key|key|code|password|pwd"
            r"|client_secret)=(?P<value>[^&\s#]+)"
        ),
        _any_value,
    ),
    # Command lines: /p:x (xfreerdp), /rp x (schtasks), -u x … -p y (psexec, racadm, az), -U x … -P y
    # (sqlcmd), -U user%pass (smbclient), mysql -px, ldapsearch -w x, sshpass -p x, snmpwalk -c x /
    # -A x / -X x, snmp-server community x and user … auth sha x priv aes 128 y, net use … x /user:y,
    # net user y x
    (re.compile(r"(?<!\S)/p:(?P<value>[^\s=]+)(?=\s|$)"), _any_value),
    (re.compile(r"(?<!\S)/rp[ \t]+(?P<value>[^\s/]\S*)"), _any_value),
    (re.compile(rf"(?<!\S)[-/]u[ \t]+\S+{_SAME_COMMAND}[ \t][-/]p[ \t]+{_VALUE}"), _any_value),
    (re.compile(rf"(?<!\S)[-/]U[ \t]+\S+{_SAME_COMMAND}[ \t][-/]P[ \t]+{_VALUE}"), _any_value),
    (re.compile(r"(?<!\S)-U[ \t]+[^\s%]+%(?P<value>\S+)"), _any_value),
    (re.compile(rf"\bmysql\w*\b{_SAME_COMMAND}[ \t]-p(?P<value>[^\s-]\S*)"), _any_value),
    (re.compile(rf"\bldap\w+\b{_SAME_COMMAND}[ \t]-w[ \t]+(?P<value>\S+)"), _any_value),
    (re.compile(rf"\bsshpass[ \t]+-p[ \t]*{_VALUE}"), _any_value),
    *[(re.compile(rf"\bsnmp\w+\b{_SAME_COMMAND}[ \t]-{flag}[ \t]+(?P<value>\S+)"), _any_value) for flag in "cAX"],
    (re.compile(r"\bsnmp-server[ \t]+community[ \t]+(?P<value>\S+)"), _any_value),
    *[
        (re.compile(rf"(?i)\bsnmp-server[ \t]+user\b{_SAME_COMMAND}[ \t]{kind}[ \t]+(?P<value>\S+)"), _any_value)
        for kind in (r"auth[ \t]+(?:md5|sha\d*)", r"priv[ \t]+\w+(?:[ \t]+\d+)?")
    ],
    (re.compile(rf"{_NET_USE}(?P<value>[^\s/\\]\S*)(?={_SAME_COMMAND}/user:)"), _any_value),  # before /user:x
    (re.compile(rf"{_NET_USE}(?P<value>[^\s/\\]\S*)"), _password_like),  # after it, or no user
    (re.compile(r"(?i)\bnet[ \t]+user[ \t]+(?:\"[^\"\n]+\"|[^\s/\"]+)[ \t]+(?P<value>[^\s/*]\S*)"), _password_like),
    # ConvertTo-SecureString "…" -AsPlainText, and '…' | ConvertTo-SecureString
    (
        re.compile(
            r"(?i)ConvertTo-SecureString(?:[ \t]+-(?:String|AsPlainText|Force)\b)*[ \t]+[\"'](?P<value>[^\"'\n]+)[\"']"
        ),
        _any_value,
    ),
    (re.compile(r"(?i)[\"'](?P<value>[^\"'\n]+)[\"'][ \t]*\|[ \t]*ConvertTo-SecureString"), _any_value),
    # Said in words: "temp password is …", "reset her password to …", "creds admin / …"
    (
        re.compile(
            r"(?i)\b(?:pass(?:word|phrase|code)?|pwd|psk|key|secret)\b(?:[ \t]+[\w-]+){0,4}?"
            r"(?:[ \t]+(?:(?:is|was)(?:[ \t]+now)?|now|to|set[ \t]+to)[ \t]+|[ \t]*:[ \t]*)(?P<value>\S+)"
        ),
        _password_like,
    ),
    (
        re.compile(
            r"(?i)\b(?:creds?|credentials|login|logon)\b(?:[ \t]+[\w-]+){0,4}?[ \t]*:?[ \t]*[^\s/]+[ \t]+/[ \t]+"
            r"(?P<value>\S+)"
        ),
        _password_like,
    ),
]


def _positional(match: re.Match, accepts: Callable[[str], bool]) -> str:
    start, end = _value_span(match)
    return _replaced(match) if accepts(match.string[start:end]) else match.group(0)


# --- The shape of a known credential -------------------------------------------------------------

# A credential after the scheme, not a word: "basic authentication" and "basic troubleshooting" stay.
_BEARER = re.compile(r"(?i)\b(bearer|basic|ssws)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{12,}")
_KNOWN_TOKEN_SHAPES = re.compile(
    r"""(?x)
    \bsk-[A-Za-z0-9_-]{16,}                              # OpenAI / Anthropic
    |\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b   # AWS access key id
    |\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_\w{22,}   # GitHub
    |\bgl(?:pat|dt|rt|ptt|cbt|ft|oas|soat)-[\w-]{20,}      # GitLab
    |\bxox[abposr]-[A-Za-z0-9-]{10,}                      # Slack
    |(?<=hooks\.slack\.com/services/)[\w/]+                # Slack incoming webhook
    |\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{24,}  # Stripe
    |\bSG\.[\w-]{22}\.[\w-]{43}                            # SendGrid
    |\bSK[0-9a-f]{32}\b                                   # Twilio API key
    |\bnpm_[A-Za-z0-9]{36}\b|\bpypi-AgEIcHlwaS5vcmc[\w-]{50,}  # npm, PyPI
    |\b[0-9a-f]{32}-us\d{1,2}\b                           # Mailchimp
    |\bITG\.[0-9a-f]{32}\.[\w-]{43}                        # IT Glue
    |\bAIza[0-9A-Za-z_-]{35}\b                            # Google API keys
    |(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])   # Entra ID (Azure AD) client secrets
    |\b[MN](?=[\w-]{0,26}\d)[\w-]{23,27}\.[\w-]{6}\.[\w-]{27,40}  # Discord bot tokens
    |(?:\b|(?<=bot))\d{8,10}:AA[\w-]{33}\b                # Telegram bot tokens
    |\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}  # JWTs
    |(?<![\d-])\d{6}(?P<sep>[- ])\d{6}(?:(?P=sep)\d{6}){6}(?![\d-])   # BitLocker recovery passwords
    """
)

# --- Long random runs ----------------------------------------------------------------------------

# Long runs of key characters are keys far more often than words, but URLs and paths are runs too
# (`com/en-us/troubleshoot/…/vpn-error-13801-certificate`), so a run is judged by its `/`-free pieces.
_KEY_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}")
# Rule: a piece of 32+ characters (GUIDs ignored: tenant and object ids are identifiers engineers need)
# with letters and digits is a key if it is hex, or, unless it is a slug of `-`/`_`-separated words
# (`how-to-reset-…-2024`, `KB5034441-x64`) or of short parts (`Contoso-FS01D2024-06-11T220012_8F3A`),
# if its word/number parts average under 3 characters (`AbC1xY` → Ab C 1 x Y; `ProgramData2` →
# Program Data 2) or digits sit inside a same-case word (`ab3cd`, `AB3CD`; `Windows10Enterprise` is
# fine). A whole run counts as one base64 blob when it is only base64 characters with few `/`, no
# `/`-piece reads as a word, and it is random by that rule.
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_DIGITS_INSIDE_A_WORD = re.compile(r"[a-z]\d+[a-z]|[A-Z]\d+[A-Z](?![a-z])")
_SLUG_WORD = re.compile(r"[A-Za-z][a-z]*\d*|[A-Z]+\d*|\d+[A-Za-z]*")
_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PATH_WORD = re.compile(r"[A-Za-z][a-z]{2,}\d*")
# A hex run that a label names as a hash, a thumbprint, a serial or a commit is an identifier to keep,
# and so is one that names a folder or file in a Windows path (SoftwareDistribution\Download\<hex>).
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_HASH_LABEL = re.compile(
    r"(?i)(?:\b(?:sha-?(?:1|256|384|512)|md5|hash|thumbprint|fingerprint|checksum|digest|commit"
    r"|serial(?:[ \t]+number)?)(?:[ \t]*\(\w+\))?[ \t]*[:=]?[ \t]*|\bcert:\\[\w\\]*\\)$"
)
# Public keys and certificates are base64 blobs with nothing to hide: a PEM block's own lines (whole
# lines of base64, so nothing typed after a cut-off paste), an OpenSSH public key, a DKIM record.
_PUBLIC_MATERIAL = re.compile(
    r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|CERTIFICATE REQUEST|X509 CRL)-----(?:[ \t]*\r?\n[A-Za-z0-9+/=]{1,76})*"
    r"(?:[ \t]*\r?\n-----END [A-Z0-9 ]+-----)?"
    r"|\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+)[ \t]+AAAA[A-Za-z0-9+/]+={0,2}"
    r"|\bv=DKIM1;[^\n]*"
)


def _looks_random(piece: str) -> bool:
    piece = _GUID.sub("", piece).rstrip("=")
    if len(piece) < 32 or not re.search(r"[A-Za-z]", piece) or not re.search(r"\d", piece):
        return False
    if _HEX.fullmatch(piece):
        return True
    words = [word for word in re.split(r"[-_]+", piece) if word]
    if all(_SLUG_WORD.fullmatch(word) for word in words) or (len(words) > 1 and max(map(len, words)) < 12):
        return False
    parts = _WORD_PARTS.findall(piece)
    return sum(map(len, parts)) < 3 * len(parts) or bool(_DIGITS_INSIDE_A_WORD.search(piece))


def _is_base64_blob(run: str) -> bool:
    pieces = run.rstrip("=").split("/")
    return (
        _BASE64_BLOB.fullmatch(run) is not None
        and len(pieces) - 1 <= len(run) // 10
        and not any(_PATH_WORD.fullmatch(piece) for piece in pieces)
        and _looks_random("".join(pieces))
    )


def _redact_key_run(match: re.Match, public: list[tuple[int, int]]) -> str:
    run = match.group(0)
    if any(start <= match.start() < end for start, end in public):
        return run
    before = match.string[max(0, match.start() - 40) : match.start()]
    if _HEX.fullmatch(run) and (before.endswith("\\") or _HASH_LABEL.search(before)):
        return run
    if "/" in run and _is_base64_blob(run):
        return REDACTED
    return "/".join(REDACTED if _looks_random(piece) else piece for piece in run.split("/"))


def redact_secrets(text: str) -> str:
    if not text:
        return text
    text = _PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    for pattern, accepts in _POSITIONAL_RULES:
        text = pattern.sub(lambda match, accepts=accepts: _positional(match, accepts), text)
    text = _ASSIGNED.sub(_assigned, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _KNOWN_TOKEN_SHAPES.sub(REDACTED, text)
    public = [m.span() for m in _PUBLIC_MATERIAL.finditer(text)]
    return _KEY_RUN.sub(lambda m: _redact_key_run(m, public), text)


def redact_everywhere(value):
    """`redact_secrets` applied to every string inside nested dicts and lists."""
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, dict):
        return {key: redact_everywhere(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_everywhere(item) for item in value]
    return value
