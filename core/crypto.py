"""Tokens at rest: Fernet (AES-128-CBC + HMAC) with the key from LEDGERLINK_SECRET_KEY."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from core.config import get_settings


class SecretBoxError(Exception):
    """A stored secret can't be decrypted (wrong LEDGERLINK_SECRET_KEY or a corrupted row)."""


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode() if isinstance(key, str) else key)

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretBoxError("a stored token cannot be decrypted: LEDGERLINK_SECRET_KEY differs from the "
                                 "key it was saved with; reconnect the account or restore the old key") from None


def secret_box() -> SecretBox:
    return SecretBox(get_settings().require_secret_key())
