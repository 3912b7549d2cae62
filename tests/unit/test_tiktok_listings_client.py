"""The listing calls' requests as sent: paths, query, signing (multipart bodies unsigned), and answers read."""
from __future__ import annotations

import json

import pytest
import requests

from shopsync.platforms.http import PermanentError
from shopsync.platforms.tiktok import listings
from shopsync.platforms.tiktok.client import TikTokClient
from shopsync.platforms.tiktok.limiter import build_rate_limiter
from shopsync.platforms.tiktok.signing import sign

SECRET = "secret"


class Recording(requests.Session):
    """A session that records what would be sent and answers from a queue."""

    def __init__(self, answers):
        super().__init__()
        self.answers, self.sent = list(answers), []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(self.answers.pop(0)).encode()
        return response


def _client(*answers) -> tuple[TikTokClient, Recording]:
    session = Recording([{"code": 0, "message": "Success", "request_id": "r", "data": a} for a in answers])
    client = TikTokClient(api_base_url="https://api.test", app_key="key", app_secret=SECRET, access_token="tok",
                          shop_cipher="CIPHER", session=session, rate_limiter=build_rate_limiter(per_second=1000),
                          clock=lambda: 1_700_000_000, sleep=lambda s: None)
    return client, session


def test_image_upload_is_multipart_without_shop_cipher_and_signed_without_its_body():
    client, session = _client({"uri": "tos-1", "url": "https://t/1", "width": 800, "height": 600})
    uploaded = listings.upload_image(client, b"\x89PNG...", "MAIN_IMAGE", "a.png")
    assert uploaded == listings.UploadedImage("tos-1", "https://t/1", 800, 600)
    method, url, sent = session.sent[0]
    assert (method, url) == ("POST", "https://api.test/product/202309/images/upload")
    assert "shop_cipher" not in sent["params"] and "content-type" not in sent["headers"]
    assert sent["files"] == {"data": ("a.png", b"\x89PNG...")} and sent["data"] == {"use_case": "MAIN_IMAGE"}
    unsigned = {k: v for k, v in sent["params"].items() if k != "sign"}
    assert sent["params"]["sign"] == sign("/product/202309/images/upload", unsigned, None, SECRET)


def test_listing_check_sends_the_diagnosis_flag_in_the_query_and_reads_fail_reasons():
    client, session = _client({"check_result": "FAILED", "fail_reasons": [{"code": 12052104, "message": "x"}],
                               "diagnoses": [{"field": "TITLE", "diagnosis_results": []}]})
    result = listings.listing_check(client, {"title": "T"})
    assert not result.passed and result.fail_reasons == ((12052104, "x"),)
    _, url, sent = session.sent[0]
    assert sent["params"]["is_diagnosis_required"] == "true" and sent["params"]["shop_cipher"] == "CIPHER"
    assert sent["data"] == b'{"title":"T"}'


def test_category_calls_use_v2_and_read_tiktoks_spelling():
    client, session = _client({"attributes": [{"id": 1, "name": "Material", "type": "PRODUCT_PROPERTY",
                                               "is_requried": True, "is_customizable": True,
                                               "values": [{"id": 7, "name": "Cotton"}],
                                               "requirement_conditions": [{"attribute_id": 2,
                                                                           "attribute_value_id": 3}]}]})
    [spec] = listings.category_attributes(client, "600001")
    assert spec.required and spec.customizable and spec.values[0].id == "7" and spec.required_when == (("2", "3"),)
    assert session.sent[0][2]["params"]["category_version"] == "v2"


def test_no_recommendation_is_none_and_other_refusals_raise():
    session = Recording([{"code": 12019064, "message": "no match", "request_id": "r", "data": {}},
                         {"code": 12052266, "message": "not English", "request_id": "r", "data": {}}])
    client = TikTokClient(api_base_url="https://api.test", app_key="key", app_secret=SECRET, access_token="tok",
                          shop_cipher="C", session=session, rate_limiter=build_rate_limiter(per_second=1000))
    assert listings.recommend_category(client, title="Qwxz") is None
    with pytest.raises(PermanentError):
        listings.recommend_category(client, title="Qwxz")
    body = json.loads(session.sent[0][2]["data"])
    assert body == {"product_title": "Qwxz", "category_version": "v2"}  # empty fields are left out


def test_brands_follow_page_tokens_and_know_what_may_be_selected():
    client, session = _client(
        {"brands": [{"id": 1, "name": "A", "authorized_status": "AUTHORIZED"}], "next_page_token": "t2"},
        {"brands": [{"id": 2, "name": "B", "authorized_status": "UNAUTHORIEZD", "is_t1_brand": True}],
         "next_page_token": ""})
    found = listings.brands(client, "600001")
    assert [(b.name, b.selectable) for b in found] == [("A", True), ("B", False)]
    assert session.sent[1][2]["params"]["page_token"] == "t2"
