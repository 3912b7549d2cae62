"""TokenVault: platform tokens encrypted at rest with Fernet, keys rotatable.

TOKEN_ENCRYPTION_KEYS lists Fernet keys newest first. New ciphertext always uses
the newest key; any listed key decrypts, so a key can be added, the stored tokens
re-encrypted (`flask shopsync rotate-keys`), and the old key then dropped.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted with any configured key."""


class TokenVault:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, token: str | None) -> bytes | None:
        if token is None:
            return None
        return self._fernet.encrypt(token.encode())

    def decrypt(self, ciphertext: bytes | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(bytes(ciphertext)).decode()
        except InvalidToken:
            raise TokenDecryptError("stored token cannot be decrypted with the configured keys") from None

    def rotate(self, ciphertext: bytes | None) -> bytes | None:
        """The same token, re-encrypted with the newest key."""
        if ciphertext is None:
            return None
        try:
            return self._fernet.rotate(bytes(ciphertext))
        except InvalidToken:
            raise TokenDecryptError("stored token cannot be decrypted with the configured keys") from None


def vault() -> TokenVault:
    app = current_app._get_current_object()
    existing = app.extensions.get("shopsync.vault")
    if existing is None:
        existing = app.extensions["shopsync.vault"] = TokenVault(app.config["TOKEN_ENCRYPTION_KEYS"])
    return existing
