"""Secrets at rest: Fernet (AES-128-CBC + HMAC). Several keys may be in use at once (newest first, through
`MultiFernet`): new secrets are encrypted with the newest, old ones still decrypt, and `rotate` re-encrypts a value
with the newest key (`ledgerlink rotate-keys` does it for every stored secret)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.config import get_settings


class SecretBoxError(Exception):
    """A stored secret can't be decrypted (wrong LEDGERLINK_SECRET_KEY or a corrupted row)."""


def split_keys(keys: str | Sequence[str]) -> list[str]:
    """"k1,k2" or ["k1", "k2"] → ["k1", "k2"] (newest first; Fernet keys never contain a comma)."""
    items = keys.split(",") if isinstance(keys, str) else list(keys)
    return [k.strip() for k in items if k and k.strip()]


class SecretBox:
    def __init__(self, keys: str | Sequence[str]) -> None:
        fernets = [Fernet(k.encode()) for k in split_keys(keys)]
        if not fernets:
            raise ValueError("SecretBox needs at least one Fernet key")
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str | None) -> str | None:
        return self._open(self._fernet.decrypt, ciphertext)

    def rotate(self, ciphertext: str | None) -> str | None:
        """The same secret encrypted with the newest key (unchanged when None)."""
        return self._open(self._fernet.rotate, ciphertext)

    @staticmethod
    def _open(step: Callable[[bytes], bytes], ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return step(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretBoxError("a stored token cannot be decrypted: none of the keys in LEDGERLINK_SECRET_KEY(S) "
                                 "is the one it was saved with; reconnect the account or restore the old key") from None


def secret_box() -> SecretBox:
    return SecretBox(get_settings().require_secret_key())
