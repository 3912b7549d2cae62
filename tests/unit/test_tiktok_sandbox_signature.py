"""The TikTok sandbox's own gateway rules, checked against the published vectors (tiktok.md §6)."""
from shopsync.sandbox.tiktok.signature import expected_sign, wants_shop_cipher, webhook_authorization

DOC_QUERY = {"app_key": "68xu9ks5p4i8", "timestamp": "1696909648", "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"}


def test_published_vectors():
    assert expected_sign("app_secret", "/test-api", {"foo": "bar"}, None) == (
        "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f")
    assert expected_sign("e59af819cc", "/event/202309/webhooks", DOC_QUERY, None) == (
        "ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37")
    body = b'{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}'
    assert expected_sign("e59af819cc", "/event/202309/webhooks", DOC_QUERY, body) == (
        "701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7")


def test_sign_and_access_token_and_empty_values_are_left_out():
    plain = expected_sign("s", "/a", {"app_key": "k", "timestamp": "1"}, None)
    assert expected_sign("s", "/a", {"app_key": "k", "timestamp": "1", "sign": "x", "access_token": "t",
                                     "page_token": ""}, None) == plain
    assert expected_sign("s", "/a", {"app_key": "k", "timestamp": "2"}, None) != plain


def test_shop_cipher_rules():
    assert wants_shop_cipher("POST", "/order/202309/orders/search")
    assert wants_shop_cipher("GET", "/event/202309/webhooks")
    assert wants_shop_cipher("GET", "/product/202309/brands")
    assert not wants_shop_cipher("GET", "/authorization/202309/shops")
    assert not wants_shop_cipher("POST", "/product/202309/brands")
    assert not wants_shop_cipher("POST", "/product/202309/images/upload")


def test_webhook_authorization_is_hmac_of_key_and_body():
    # computed independently: hex HMAC-SHA256(key="secret", msg="key" + body)
    assert webhook_authorization("key", "secret", b'{"a":1}') == (
        "f8f6c7bec0efe0094eda808ad36ce10dbff1293f8e54ae64b3fba6e42849b8cd")
