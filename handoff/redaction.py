"""Secret-looking strings are replaced before anything leaves the process for the model.

Password script parameters are already stored redacted; this catches what engineers paste into
facts, checks and notes: `password=…`, API keys and tokens, private key blocks.
"""

import re

REDACTED = "[REDACTED]"

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
# `password=hunter2`, `pwd: hunter2`, `client_secret = "x y"`, `-Password 'x'`, `api-key: abc`
_ASSIGNED_SECRET = re.compile(
    r"""(?ix)
    (?P<name>\b(?:pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?key|
        private[_-]?key|token|auth[_-]?token|access[_-]?token|connection[_-]?string|shared[_-]?key)\b)
    (?P<sep>\s*[:=]\s*|\s+)
    (?P<value>"[^"\n]*"|'[^'\n]*'|[^\s,;]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}")
_KNOWN_TOKEN_SHAPES = re.compile(
    r"""(?x)
    \bsk-[A-Za-z0-9_-]{16,}            # OpenAI / Anthropic style
    |\bAKIA[0-9A-Z]{16}\b              # AWS access key id
    |\bgh[pousr]_[A-Za-z0-9]{30,}\b    # GitHub tokens
    |\bxox[abposr]-[A-Za-z0-9-]{10,}   # Slack tokens
    |\bAIza[0-9A-Za-z_-]{35}\b         # Google API keys
    |\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}  # JWTs
    """
)
# Long random-looking runs (32+ chars mixing letters and digits) are keys far more often than words;
# GUIDs (tenant and object ids) are identifiers engineers need, not secrets.
_LONG_RANDOM = re.compile(
    r"""(?x)
    \b(?![0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b)  # not a GUID
    (?=[A-Za-z0-9+/_-]{32,}\b)(?=[^\s]*\d)(?=[^\s]*[A-Za-z])      # 32+ chars with letters and digits
    [A-Za-z0-9+/_-]{32,}={0,2}
    """
)
# Values that are placeholders rather than secrets: leave them readable.
_NOT_A_SECRET = {REDACTED.lower(), "***", "<redacted>", "none", "null", "n/a", "changed", "reset", "expired"}


def _redact_assignment(match: re.Match) -> str:
    value = match.group("value").strip("\"'")
    if value.lower() in _NOT_A_SECRET or (match.group("sep").isspace() and not _looks_secret(value)):
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{REDACTED}"


def _looks_secret(value: str) -> bool:
    """After a bare space ("the password expired") only value-like words count as secrets."""
    return len(value) >= 6 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def redact_secrets(text: str) -> str:
    if not text:
        return text
    text = _PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    text = _ASSIGNED_SECRET.sub(_redact_assignment, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _KNOWN_TOKEN_SHAPES.sub(REDACTED, text)
    return _LONG_RANDOM.sub(REDACTED, text)


def redact_everywhere(value):
    """`redact_secrets` applied to every string inside nested dicts and lists."""
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, dict):
        return {key: redact_everywhere(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_everywhere(item) for item in value]
    return value
