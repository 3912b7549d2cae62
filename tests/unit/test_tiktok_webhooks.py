import hashlib
import hmac

from shopsync.platforms.tiktok.webhooks import verify_webhook_signature

BODY = b'{"type":5,"tts_notification_id":"7327","shop_id":"7494","timestamp":1700000000,"data":{"product_id":"1"}}'


def header_for(body: bytes, key="app-key", secret="app-secret") -> str:
    return hmac.new(secret.encode(), key.encode() + body, hashlib.sha256).hexdigest()


def test_valid_signature_is_accepted():
    assert verify_webhook_signature(BODY, header_for(BODY), "app-key", "app-secret")


def test_tampered_body_wrong_key_or_secret_are_refused():
    header = header_for(BODY)
    assert not verify_webhook_signature(BODY.replace(b'"1"', b'"2"'), header, "app-key", "app-secret")
    assert not verify_webhook_signature(BODY, header, "other-key", "app-secret")
    assert not verify_webhook_signature(BODY, header, "app-key", "other-secret")


def test_missing_or_garbage_header_is_refused():
    assert not verify_webhook_signature(BODY, "", "app-key", "app-secret")
    assert not verify_webhook_signature(BODY, "Bearer ünïcode", "app-key", "app-secret")
