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
# Long runs of key characters are keys far more often than words, but URLs and paths are runs too
# (`com/en-us/troubleshoot/…/vpn-error-13801-certificate`), so a run is judged by its `/`-free pieces.
_KEY_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}")
# Rule: a piece of 32+ characters (GUIDs ignored: tenant and object ids are identifiers engineers need)
# with letters and digits is a key if it is hex, or, unless it is a slug of `-`/`_`-separated words
# (`how-to-reset-…-2024`, `KB5034441-x64`), if its word/number parts average under 3 characters
# (`AbC1xY` → Ab C 1 x Y; `ProgramData2` → Program Data 2) or digits sit inside a same-case word
# (`ab3cd`, `AB3CD`; `Windows10Enterprise` is fine). A whole run counts as one base64 blob when it is
# only base64 characters with few `/`, no `/`-piece reads as a word, and it is random by that rule.
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_DIGITS_INSIDE_A_WORD = re.compile(r"[a-z]\d+[a-z]|[A-Z]\d+[A-Z](?![a-z])")
_SLUG_WORD = re.compile(r"[A-Za-z][a-z]*\d*|[A-Z]+\d*|\d+[A-Za-z]*")
_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PATH_WORD = re.compile(r"[A-Za-z][a-z]{2,}\d*")
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


def _looks_random(piece: str) -> bool:
    piece = _GUID.sub("", piece).rstrip("=")
    if len(piece) < 32 or not re.search(r"[A-Za-z]", piece) or not re.search(r"\d", piece):
        return False
    if re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", piece):
        return True
    if all(_SLUG_WORD.fullmatch(word) for word in re.split(r"[-_]+", piece) if word):
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


def _redact_key_run(match: re.Match) -> str:
    run = match.group(0)
    if "/" in run and _is_base64_blob(run):
        return REDACTED
    return "/".join(REDACTED if _looks_random(piece) else piece for piece in run.split("/"))


def redact_secrets(text: str) -> str:
    if not text:
        return text
    text = _PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    text = _ASSIGNED_SECRET.sub(_redact_assignment, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _KNOWN_TOKEN_SHAPES.sub(REDACTED, text)
    return _KEY_RUN.sub(_redact_key_run, text)


def redact_everywhere(value):
    """`redact_secrets` applied to every string inside nested dicts and lists."""
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, dict):
        return {key: redact_everywhere(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_everywhere(item) for item in value]
    return value
