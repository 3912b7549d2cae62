"""Settings from the environment, with embedded defaults that need no accounts.

The embedded default (no SHOPSYNC_ENV) runs on SQLite, an in-process queue and
the built-in sandbox platforms. Production (SHOPSYNC_ENV=production) refuses to
start while a secret is missing, rather than falling back to a default.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

EMBEDDED_PUBLIC_URL = "http://127.0.0.1:5000"
SANDBOX_CREDENTIALS = {
    "SHOPIFY_API_KEY": "sandbox-shopify-key",
    "SHOPIFY_API_SECRET": "sandbox-shopify-secret",
    "TIKTOK_APP_KEY": "sandbox-tiktok-key",
    "TIKTOK_APP_SECRET": "sandbox-tiktok-secret",
    "TIKTOK_SERVICE_ID": "7000000000000000001",
}
PRODUCTION_REQUIRED = (
    "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TOKEN_ENCRYPTION_KEYS", "PUBLIC_URL",
    "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "TIKTOK_APP_KEY", "TIKTOK_APP_SECRET",
    "TIKTOK_SERVICE_ID", "MAIL_SERVER", "MAIL_DEFAULT_SENDER",
)


class ConfigError(RuntimeError):
    """The environment cannot run ShopSync as configured."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    production = env.get("SHOPSYNC_ENV", "").lower() == "production"
    # The sandbox is on by default only where no real platform credentials are given.
    sandbox = _bool(env.get("SHOPSYNC_SANDBOX"), default=not production and not env.get("SHOPIFY_API_KEY"))
    check_sandbox(production, sandbox)
    if production:
        missing = [name for name in PRODUCTION_REQUIRED if not env.get(name)]
        if missing:
            raise ConfigError("production settings missing: " + ", ".join(missing))
    if sandbox:
        foreign = [name for name, value in SANDBOX_CREDENTIALS.items() if env.get(name) not in (None, "", value)]
        if foreign:
            raise ConfigError("with the sandbox on, ShopSync and the sandbox use the sandbox's own credentials, "
                              "never real ones: unset " + ", ".join(foreign) + " or set SHOPSYNC_SANDBOX=0")
    public_url = env.get("PUBLIC_URL", EMBEDDED_PUBLIC_URL).rstrip("/")
    sandbox_url = env.get("SANDBOX_URL", public_url + "/sandbox").rstrip("/")

    def setting(name: str, real_default: str, sandbox_default: str | None = None) -> str:
        if env.get(name):
            return env[name]
        return sandbox_default if sandbox and sandbox_default is not None else real_default

    config = {
        "SHOPSYNC_ENV": "production" if production else "embedded",
        "SANDBOX_ENABLED": sandbox,
        "SANDBOX_URL": sandbox_url,
        # Tests run the sandbox on its own server instead of inside the app.
        "SANDBOX_MOUNT": _bool(env.get("SHOPSYNC_SANDBOX_MOUNT"), default=True),
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key", _random_secret),
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL"), instance_path),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "TOKEN_ENCRYPTION_KEYS": _encryption_keys(env.get("TOKEN_ENCRYPTION_KEYS"), instance_path),
        "PUBLIC_URL": public_url,
        "SHOPIFY_API_KEY": setting("SHOPIFY_API_KEY", "", SANDBOX_CREDENTIALS["SHOPIFY_API_KEY"]),
        "SHOPIFY_API_SECRET": setting("SHOPIFY_API_SECRET", "", SANDBOX_CREDENTIALS["SHOPIFY_API_SECRET"]),
        "SHOPIFY_PREVIOUS_API_SECRET": env.get("SHOPIFY_PREVIOUS_API_SECRET", ""),
        "SHOPIFY_SCOPES": env.get("SHOPIFY_SCOPES", "read_products,read_inventory,read_locations,write_orders,"
                                                  "write_merchant_managed_fulfillment_orders,read_fulfillments"),
        "SHOPIFY_BASE_URL": setting("SHOPIFY_BASE_URL", "https://{shop}", sandbox_url + "/shopify/{shop}"),
        "SHOPIFY_API_VERSION": env.get("SHOPIFY_API_VERSION", "2026-10"),
        "TIKTOK_APP_KEY": setting("TIKTOK_APP_KEY", "", SANDBOX_CREDENTIALS["TIKTOK_APP_KEY"]),
        "TIKTOK_APP_SECRET": setting("TIKTOK_APP_SECRET", "", SANDBOX_CREDENTIALS["TIKTOK_APP_SECRET"]),
        "TIKTOK_SERVICE_ID": setting("TIKTOK_SERVICE_ID", "", SANDBOX_CREDENTIALS["TIKTOK_SERVICE_ID"]),
        "TIKTOK_API_BASE_URL": setting("TIKTOK_API_BASE_URL", "https://open-api.tiktokglobalshop.com",
                                       sandbox_url + "/tiktok/api"),
        "TIKTOK_AUTH_BASE_URL": setting("TIKTOK_AUTH_BASE_URL", "https://auth.tiktok-shops.com",
                                        sandbox_url + "/tiktok/auth"),
        "TIKTOK_AUTHORIZE_URL": setting("TIKTOK_AUTHORIZE_URL", "https://services.tiktokshop.com/open/authorize",
                                        sandbox_url + "/tiktok/open/authorize"),
        "TIKTOK_QPS": float(env.get("TIKTOK_QPS", "10")),
        "TIKTOK_READ_TIMEOUT_SECONDS": float(env.get("TIKTOK_READ_TIMEOUT_SECONDS", "30")),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "ShopSync <alerts@shopsync.local>"),
        "MAIL_ENABLED": _bool(env.get("MAIL_ENABLED"), default=production or bool(env.get("MAIL_SERVER"))),
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "30")),
        "SHOPIFY_BULK_POLL_SECONDS": float(env.get("SHOPIFY_BULK_POLL_SECONDS", "2")),
        "SAFETY_NET_PAGED_ITEMS": int(env.get("SAFETY_NET_PAGED_ITEMS", "1000")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "FLUSH_DEBOUNCE_SECONDS": float(env.get("FLUSH_DEBOUNCE_SECONDS", "1")),
        # First look at TikTok's review of new listings this long after submitting (then less and less often).
        "LISTING_FOLLOW_SECONDS": float(env.get("LISTING_FOLLOW_SECONDS", "60")),
        "ORDER_DOUBT_SECONDS": float(env.get("ORDER_DOUBT_SECONDS", "0")) or None,
        "ALERT_DIGEST_MINUTES": int(env.get("ALERT_DIGEST_MINUTES", "60")),
        "WEBHOOK_MAX_BYTES": int(env.get("WEBHOOK_MAX_BYTES", str(1024 * 1024))),
        # Any request body: room for the largest upload (a 5 MB links CSV) and its form encoding, no more.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(6 * 1024 * 1024))),
        "LOG_RETENTION_DAYS": int(env.get("LOG_RETENTION_DAYS", "30")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (env.get("REDIS_URL") or "memory://"),
        "RATELIMIT_AUTH": env.get("RATELIMIT_AUTH", "20 per minute"),
        # The OAuth callbacks come back once per sign-in started: a limit of their own, so a flood of starts
        # cannot use up the budget that finishing sign-ins needs.
        "RATELIMIT_AUTH_CALLBACK": env.get("RATELIMIT_AUTH_CALLBACK", "60 per minute"),
        # How many proxies in front of ShopSync set X-Forwarded-For/-Proto (each adds one hop). 0 trusts none:
        # the client is then the address that connected, which behind a proxy is the proxy itself.
        "TRUSTED_PROXY_HOPS": _count(env, "TRUSTED_PROXY_HOPS"),
        "RATELIMIT_API": env.get("RATELIMIT_API", "600 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": public_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": public_url.startswith("https://"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
    return config


def _count(env: dict[str, str], name: str) -> int:
    value = env.get(name, "").strip() or "0"
    if not value.isascii() or not value.isdigit() or int(value) > 10:
        raise ConfigError(f"{name} must be a whole number from 0 to 10, not {value!r}")
    return int(value)


def check_sandbox(production: bool, sandbox: bool) -> None:
    """The sandbox approves any shop's sign-in and signs what it is asked to: never in production."""
    if production and sandbox:
        raise ConfigError("SHOPSYNC_SANDBOX is on with SHOPSYNC_ENV=production: the sandbox lets anyone sign in "
                          "as any store. Unset SHOPSYNC_SANDBOX (or set it to 0) in production.")


def _database_url(url: str | None, instance_path: str) -> str:
    if not url:
        return "sqlite:///" + str(_private_file(Path(instance_path) / "shopsync.db"))
    # psycopg 3 is the driver; accept the common postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _private_file(path: Path) -> Path:
    """The embedded database, readable by its owner only, like the key files beside it.

    SQLite would create it with the umask's mode (usually world-readable), and its -wal and
    -shm files take the database file's mode, so creating it 0600 first covers all three.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # made world-readable by an earlier version
    return path


def _random_secret() -> str:
    return os.urandom(32).hex()


def _instance_secret(instance_path: str, name: str, make) -> str:
    """A secret generated once for the embedded default and kept in the instance folder."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _encryption_keys(value: str | None, instance_path: str) -> list[str]:
    if value:
        keys = [key.strip() for key in value.split(",") if key.strip()]
    else:
        keys = [_instance_secret(instance_path, "token_key", lambda: Fernet.generate_key().decode())]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError("TOKEN_ENCRYPTION_KEYS holds a key that is not a valid Fernet key") from exc
    return keys
