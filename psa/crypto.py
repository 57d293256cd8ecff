"""Encryption at rest for PSA secrets: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key is FLOWPILOT_ENCRYPTION_KEY; in development (DEBUG on) it is derived from SECRET_KEY when
unset, and settings refuse to start without it when DEBUG is off.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key (FLOWPILOT_ENCRYPTION_KEY changed)."""


@lru_cache(maxsize=2)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(plaintext: str) -> str:
    return _fernet(settings.FLOWPILOT_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FLOWPILOT_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The stored PSA private key cannot be decrypted with this FLOWPILOT_ENCRYPTION_KEY; enter it again."
        ) from None
