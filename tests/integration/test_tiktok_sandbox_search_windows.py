"""Reading a TikTok shop bigger than TikTok's 10,000-result search window, in update-time windows."""
from __future__ import annotations

import pytest

from shopsync.platforms.http import PermanentError
from shopsync.platforms.tiktok import products
from tests.support.tiktok import access_token_for, client_for, running_sandbox

SEARCH = products.SEARCH_PATH


@pytest.fixture(scope="module")
def running():
    with running_sandbox(tiktok_qps=1000) as server:  # a walk of 12,000 products is ~150 quick searches
        yield server


@pytest.fixture
def client(running):
    running.sandbox.reset()
    return client_for(running, access_token_for(running))


def _windows(calls):
    """The [ge, le] bounds of each search that started a window (no page token)."""
    return [(c.body.get("update_time_ge"), c.body.get("update_time_le")) for c in calls
            if "page_token" not in c.query]


def test_sandbox_update_time_bounds_are_inclusive(running, client):
    shop = running.sandbox.shops[0]
    stamp = sorted(p.update_time for p in shop.products.values())[3]
    expected = {p.id for p in shop.products.values() if p.update_time == stamp}

    def found(body):
        return {p["id"] for p in client.post(SEARCH, body, query={"page_size": 100}).data["products"]}

    assert found({"update_time_ge": stamp, "update_time_le": stamp}) == expected
    assert not found({"update_time_ge": stamp + 1, "update_time_le": stamp}) & expected
    assert not found({"update_time_ge": stamp - 1, "update_time_le": stamp - 1}) & expected


def test_a_12000_product_shop_is_read_once_each_in_windows_that_fit(running, client):
    shop = running.sandbox.shops[0]
    running.sandbox.generate_catalog(shop.id, 12_000, skus_per_product=1)
    assert len(shop.products) > products.RESULT_WINDOW
    listing = products.iter_products(client)
    seen = [next(listing).id]
    # Updated while the walk runs: it moves to the open newest window, not yet read.
    late = list(shop.products.values())[-1]
    with running.sandbox.lock:
        late.update_time = int(running.sandbox.clock()) + 5
    seen += [p.id for p in listing]
    assert sorted(seen) == sorted(shop.products)  # every product, exactly once
    searches = running.sandbox.calls(SEARCH)
    assert all(c.code == 0 for c in searches)  # nothing refused: no page past the 10,000 window
    windows = _windows(searches)
    assert windows[0] == (None, None)
    # The windows that fit were read; together they cover all time, end to end, without overlap.
    read = sorted((ge, le) for ge, le in windows[1:] if _holding(shop, ge, le) <= products.RESULT_WINDOW)
    assert len(read) >= 2 and read[0][0] == 0 and read[-1][1] is None
    assert all(earlier[1] + 1 == later[0] for earlier, later in zip(read, read[1:]))


def _holding(shop, ge, le):
    return sum(1 for p in shop.products.values() if ge <= p.update_time and (le is None or p.update_time <= le))


def test_more_than_10000_products_in_one_second_is_a_clear_permanent_error(running, client):
    shop = running.sandbox.shops[0]
    running.sandbox.generate_catalog(shop.id, products.RESULT_WINDOW + 1, skus_per_product=1)
    with running.sandbox.lock:
        for product in shop.products.values():
            product.update_time = 1_750_000_000
    with pytest.raises(PermanentError) as raised:
        list(products.iter_products(client))
    assert raised.value.code == products.RESULT_WINDOW_EXCEEDED
    assert "same second" in raised.value.message and "1750000000" in raised.value.message
    assert all(c.code == 0 for c in running.sandbox.calls(SEARCH))
