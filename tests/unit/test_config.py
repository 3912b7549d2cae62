import pytest
from cryptography.fernet import Fernet

from shopsync.config import SANDBOX_CREDENTIALS, ConfigError, load


def test_embedded_default_needs_nothing_and_keeps_a_generated_key(tmp_path):
    first = load(str(tmp_path), environ={})
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/shopsync.db"
    assert first["SANDBOX_ENABLED"] is True
    assert first["SHOPIFY_BASE_URL"] == "http://127.0.0.1:5000/sandbox/shopify/{shop}"
    again = load(str(tmp_path), environ={})
    assert again["TOKEN_ENCRYPTION_KEYS"] == first["TOKEN_ENCRYPTION_KEYS"]
    assert again["SECRET_KEY"] == first["SECRET_KEY"]
    assert (tmp_path / "token_key").stat().st_mode & 0o077 == 0


def test_embedded_database_is_created_readable_by_its_owner_only(tmp_path):
    load(str(tmp_path), environ={})
    assert (tmp_path / "shopsync.db").stat().st_mode & 0o777 == 0o600
    older = tmp_path / "older"
    older.mkdir()
    (older / "shopsync.db").write_bytes(b"")
    (older / "shopsync.db").chmod(0o644)  # as an earlier version left it
    load(str(older), environ={})
    assert (older / "shopsync.db").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_with_missing_secrets(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(str(tmp_path), environ={"SHOPSYNC_ENV": "production", "SECRET_KEY": "x"})
    message = str(info.value)
    assert "TOKEN_ENCRYPTION_KEYS" in message and "SHOPIFY_API_SECRET" in message
    assert not (tmp_path / "token_key").exists()


def test_production_uses_real_platform_urls(tmp_path):
    env = {name: "x" for name in ("SECRET_KEY", "REDIS_URL", "PUBLIC_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET",
                                  "TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_SERVICE_ID", "MAIL_SERVER",
                                  "MAIL_DEFAULT_SENDER")}
    env.update(SHOPSYNC_ENV="production", DATABASE_URL="postgres://u@db/shopsync",
               TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(), PUBLIC_URL="https://sync.example.com")
    config = load(str(tmp_path), environ=env)
    assert config["SANDBOX_ENABLED"] is False
    assert config["SHOPIFY_BASE_URL"] == "https://{shop}"
    assert config["TIKTOK_API_BASE_URL"] == "https://open-api.tiktokglobalshop.com"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/shopsync"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_invalid_encryption_key_is_a_start_up_error(tmp_path):
    with pytest.raises(ConfigError):
        load(str(tmp_path), environ={"TOKEN_ENCRYPTION_KEYS": "not-a-key"})


def _production_env() -> dict:
    env = {name: "x" for name in ("SECRET_KEY", "REDIS_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET",
                                  "TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_SERVICE_ID", "MAIL_SERVER",
                                  "MAIL_DEFAULT_SENDER")}
    return {**env, "SHOPSYNC_ENV": "production", "DATABASE_URL": "postgres://u@db/shopsync",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "PUBLIC_URL": "https://sync.example.com"}


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_production_refuses_to_start_with_the_sandbox_on(tmp_path, value):
    with pytest.raises(ConfigError, match="SHOPSYNC_SANDBOX"):
        load(str(tmp_path), environ={**_production_env(), "SHOPSYNC_SANDBOX": value})


def test_the_sandbox_never_runs_with_real_platform_credentials(tmp_path):
    with pytest.raises(ConfigError, match="SHOPIFY_API_SECRET"):
        load(str(tmp_path), environ={"SHOPSYNC_SANDBOX": "1", "SHOPIFY_API_SECRET": "the-real-secret"})


def test_the_sandbox_is_given_its_own_secrets_never_the_configured_ones(tmp_path):
    from shopsync.sandbox.app import settings_from_app_config

    config = load(str(tmp_path), environ={"SHOPSYNC_SANDBOX": "0", "SHOPIFY_API_KEY": "real-key",
                                          "SHOPIFY_API_SECRET": "the-real-secret", "TIKTOK_APP_SECRET": "tt-real"})
    settings = settings_from_app_config(config)
    assert "the-real-secret" not in settings.values() and "tt-real" not in settings.values()
    assert settings["shopify_api_secret"] == SANDBOX_CREDENTIALS["SHOPIFY_API_SECRET"]
    assert settings["shopify_compliance_uri"] == "http://127.0.0.1:5000/webhooks/shopify"
