from cryptography.fernet import Fernet
import pytest

from shopsync.security.tokens import TokenDecryptError, TokenVault


def test_round_trip_never_stores_clear_text():
    vault = TokenVault([Fernet.generate_key().decode()])
    sealed = vault.encrypt("shpat_secret_value")
    assert b"shpat_secret_value" not in sealed
    assert vault.decrypt(sealed) == "shpat_secret_value"


def test_old_key_still_decrypts_and_rotate_moves_to_newest_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_with_old = TokenVault([old]).encrypt("token-1")
    both = TokenVault([new, old])
    assert both.decrypt(sealed_with_old) == "token-1"
    rotated = both.rotate(sealed_with_old)
    assert TokenVault([new]).decrypt(rotated) == "token-1"
    with pytest.raises(TokenDecryptError):
        TokenVault([old]).decrypt(rotated)


def test_unknown_key_is_a_clear_error_without_the_token():
    sealed = TokenVault([Fernet.generate_key().decode()]).encrypt("token-2")
    with pytest.raises(TokenDecryptError) as info:
        TokenVault([Fernet.generate_key().decode()]).decrypt(sealed)
    assert "token-2" not in str(info.value)


def test_none_passes_through():
    vault = TokenVault([Fernet.generate_key().decode()])
    assert vault.encrypt(None) is None and vault.decrypt(None) is None and vault.rotate(None) is None
