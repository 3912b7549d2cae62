"""Sign-in rate limits behind a load balancer count per client and store, and the OAuth callback is never
starved by the install limit (review finding 5)."""
from __future__ import annotations

import uuid

import pytest

from shopsync import create_app
from shopsync.config import ConfigError, load
from tests.support.journeys import app_path, approve_shopify_grant, install_shop

LIMIT = 20


@pytest.fixture
def proxied_app(test_env, sandbox_app):
    """The app as deployed behind one proxy, with the production sign-in limit."""
    return create_app({"TESTING": True, "SANDBOX_MOUNT": False, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
                       "RATELIMIT_AUTH": f"{LIMIT} per minute", "TRUSTED_PROXY_HOPS": 1})


def _from(app, address: str):
    """A browser whose requests reach ShopSync through the proxy, which names it in X-Forwarded-For."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": address})
    return client


def test_one_client_at_the_limit_locks_out_neither_other_clients_nor_the_callback(proxied_app, shop_domain):
    earlier = _from(proxied_app, "203.0.113.9")  # a sign-in started from that address before the flood
    started = earlier.get(f"/auth/shopify?shop={shop_domain}")
    noisy = _from(proxied_app, "203.0.113.9")
    answers = [noisy.get(f"/auth/shopify?shop={shop_domain}").status_code for _ in range(LIMIT)]
    assert answers.count(302) == LIMIT - 1 and answers[-1] == 429

    merchant = _from(proxied_app, "198.51.100.4")
    tenant_id = install_shop(merchant, f"other-{shop_domain}")  # start, both callbacks, login: not limited
    assert tenant_id and merchant.get("/").status_code == 200
    assert noisy.get(f"/auth/shopify?shop=third-{shop_domain}").status_code == 302  # its other stores too

    callback = earlier.get(app_path(approve_shopify_grant(started.headers["Location"])))
    assert callback.status_code == 302  # the install limit does not reach the callback


def test_without_trusted_proxies_forwarded_addresses_are_ignored(test_env, sandbox_app, shop_domain):
    app = create_app({"TESTING": True, "SANDBOX_MOUNT": False, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
                      "RATELIMIT_AUTH": "2 per minute"})
    spoofing = [_from(app, f"192.0.2.{n}").get(f"/auth/shopify?shop={shop_domain}").status_code for n in range(3)]
    assert spoofing == [302, 302, 429]  # made-up X-Forwarded-For values do not buy a fresh budget


@pytest.mark.parametrize("value", ["-1", "two", "99"])
def test_trusted_proxy_hops_must_be_a_small_count(tmp_path, value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        load(str(tmp_path), environ={"TRUSTED_PROXY_HOPS": value})
