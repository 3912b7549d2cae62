"""Shopify sandbox orders over HTTP: orderCreate, orders(query:), orderCancel, refundCreate, fulfilment
holds, fulfilments, their webhooks, scopes, the development-store limit and stock moves."""
import base64
import hashlib
import hmac
import json

import pytest
import requests

from tests.support.shopify_sandbox import API_SECRET, SHOP, shopify_sandbox, webhook_receiver  # noqa: F401
from tests.support.tiktok_calls import eventually

ORDER_SCOPES = ("read_products,read_inventory,read_locations,write_orders,read_fulfillments,"
                "write_merchant_managed_fulfillment_orders")
VARIANT_SKU = "SS-0001-M"

CREATE = """
mutation Create($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceName sourceIdentifier tags displayFinancialStatus displayFulfillmentStatus
            totalPriceSet { shopMoney { amount currencyCode } }
            lineItems(first: 10) { nodes { id sku quantity variant { id } } }
            fulfillmentOrders(first: 5) { nodes { id status assignedLocation { location { id } }
              lineItems(first: 10) { nodes { id totalQuantity remainingQuantity } } } } }
    userErrors { field message code }
  }
}"""
FIND = """
query Find($q: String!) { orders(first: 10, query: $q) { nodes { id name sourceIdentifier tags } } }"""
CANCEL = """
mutation Cancel($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: true, notifyCustomer: false,
              refundMethod: {originalPaymentMethodsRefund: true}, staffNote: "Cancelled on TikTok") {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""
JOB = """
query Job($id: ID!, $order: ID!) {
  job(id: $id) { id done query { order(id: $order) { id cancelledAt cancelReason displayFinancialStatus } } }
}"""
HOLD = """
mutation Hold($id: ID!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: {reason: AWAITING_PAYMENT, reasonNotes: "TikTok ON_HOLD",
                                                 handle: "tiktok-hold"}) {
    fulfillmentHold { id reason handle }
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}"""
RELEASE = """
mutation Release($id: ID!) {
  fulfillmentOrderReleaseHold(id: $id) { fulfillmentOrder { id status } userErrors { field message code } }
}"""
FULFIL = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 5) { company number url }
                  fulfillmentLineItems(first: 10) { nodes { quantity lineItem { id } } } }
    userErrors { field message }
  }
}"""
REFUND = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: "%s") {
    refund { id refundLineItems(first: 5) { nodes { quantity restockType restocked location { id } } } }
    userErrors { field message }
  }
}"""
STATUS = """
query Status($id: ID!) { order(id: $id) { displayFulfillmentStatus displayFinancialStatus cancelledAt } }"""


@pytest.fixture
def token(shopify_sandbox):
    return shopify_sandbox.install(scope=ORDER_SCOPES)["access_token"]


def gql(shopify_sandbox, token, document, variables=None):
    answer = shopify_sandbox.graphql(token, document, variables)
    assert answer.status_code == 200, answer.text
    return answer.json()


def variant(shopify_sandbox, sku=VARIANT_SKU):
    return next(v for p in shopify_sandbox.sandbox.shop(SHOP).products.values() for v in p.variants if v.sku == sku)


def tiktok_order(variant_id, quantity=2, tiktok_id="576461413038785752", **extra):
    return {"currency": "USD", "name": f"TT-{tiktok_id}", "sourceName": "tiktok_shop",
            "sourceIdentifier": tiktok_id,
            "sourceUrl": f"https://seller-us.tiktok.com/order/detail?order_no={tiktok_id}",
            "tags": ["TikTok Shop", f"tiktok:{tiktok_id}"], "note": "Imported from TikTok Shop",
            "customAttributes": [{"key": "tiktok_order_id", "value": tiktok_id}],
            "lineItems": [{"variantId": f"gid://shopify/ProductVariant/{variant_id}", "quantity": quantity,
                           "requiresShipping": True,
                           "priceSet": {"shopMoney": {"amount": "19.99", "currencyCode": "USD"}}}],
            "shippingAddress": {"firstName": "Jane", "lastName": "Doe", "address1": "1 Example St",
                                "city": "Los Angeles", "provinceCode": "CA", "countryCode": "US", "zip": "90001"},
            "shippingLines": [{"title": "TikTok Shop Standard", "code": "TT_STANDARD",
                               "priceSet": {"shopMoney": {"amount": "4.99", "currencyCode": "USD"}}}],
            "financialStatus": "PAID",
            "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "TikTok Shop",
                              "amountSet": {"shopMoney": {"amount": f"{19.99 * quantity + 4.99:.2f}",
                                                          "currencyCode": "USD"}}}], **extra}


def create(shopify_sandbox, token, order, behaviour="DECREMENT_IGNORING_POLICY"):
    body = gql(shopify_sandbox, token, CREATE, {"order": order, "options": {"inventoryBehaviour": behaviour,
                                                                            "sendReceipt": False}})
    return body["data"]["orderCreate"]


def signed(delivery) -> bool:
    digest = base64.b64encode(hmac.new(API_SECRET.encode(), delivery["body"], hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, delivery["headers"]["X-Shopify-Hmac-Sha256"])


def subscribe(shopify_sandbox, token, uri, *topics):
    for topic in topics:
        body = gql(shopify_sandbox, token, """
            mutation Sub($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
              webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
                webhookSubscription { id } userErrors { field message } } }""",
                   {"topic": topic, "sub": {"uri": uri, "format": "JSON"}})
        assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == [], body


def received(receiver, topic):
    return [json.loads(d["body"]) for d in receiver.deliveries if d["headers"]["X-Shopify-Topic"] == topic]


# ---- orderCreate ---------------------------------------------------------------------------------------
def test_order_create_claims_stock_where_routing_assigns_it_and_sends_webhooks(shopify_sandbox, token,
                                                                                webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "ORDERS_CREATE", "INVENTORY_LEVELS_UPDATE")
    item = variant(shopify_sandbox)
    location_id = next(loc for loc in shopify_sandbox.sandbox.shop(SHOP).locations if loc in item.levels)
    before = item.levels[location_id]
    result = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))
    assert result["userErrors"] == []
    order = result["order"]
    assert order["name"] == "TT-576461413038785752" and order["sourceIdentifier"] == "576461413038785752"
    assert order["sourceName"] == "tiktok_shop" and "tiktok:576461413038785752" in order["tags"]
    assert order["displayFinancialStatus"] == "PAID" and order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["totalPriceSet"]["shopMoney"] == {"amount": "44.97", "currencyCode": "USD"}
    assert item.levels[location_id] == before - 2 and item.committed[location_id] == 2
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]
    assert fulfillment_order["assignedLocation"]["location"]["id"] == f"gid://shopify/Location/{location_id}"
    assert fulfillment_order["status"] == "OPEN"
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    created = received(webhook_receiver, "orders/create")
    assert len(created) == 1 and created[0]["source_identifier"] == "576461413038785752"
    assert created[0]["tags"] == "TikTok Shop, tiktok:576461413038785752"
    levels = received(webhook_receiver, "inventory_levels/update")
    assert levels[-1]["available"] == before - 2 and levels[-1]["location_id"] == location_id
    assert all(signed(d) for d in webhook_receiver.deliveries)


def test_bypass_leaves_stock_and_obeying_policy_refuses_a_short_claim(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    levels = dict(item.levels)
    assert create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="1"), behaviour="BYPASS")["order"]
    assert item.levels == levels
    too_many = create(shopify_sandbox, token, tiktok_order(item.id, quantity=10_000, tiktok_id="2"),
                      behaviour="DECREMENT_OBEYING_POLICY")
    assert too_many["order"] is None and too_many["userErrors"][0]["code"] == "INVENTORY_CLAIM_FAILED"
    ignoring = create(shopify_sandbox, token, tiktok_order(item.id, quantity=10_000, tiktok_id="3"))
    assert ignoring["order"] and min(item.levels.values()) < 0


@pytest.mark.parametrize("change, field, code", [
    ({"lineItems": [{"variantId": "gid://shopify/ProductVariant/1", "quantity": 1}]},
     ["order", "lineItems", "0", "variantId"], "INVALID"),
    ({"lineItems": []}, ["order", "lineItems"], "INVALID"),
    ({"processedAt": "2099-01-01T00:00:00Z"}, ["order", "processedAt"], "PROCESSED_AT_INVALID"),
    ({"taxLines": [{"title": "Tax", "rate": "0.07"}],
      "lineItems": [{"title": "Custom", "quantity": 1, "taxLines": [{"title": "Tax", "rate": "0.07"}],
                     "priceSet": {"shopMoney": {"amount": "1.00", "currencyCode": "USD"}}}]},
     ["order", "taxLines"], "INVALID"),
    ({"customerId": "gid://shopify/Customer/1", "customer": {"toAssociate": {"id": "gid://shopify/Customer/1"}}},
     ["order", "customer"], "REDUNDANT_CUSTOMER_FIELDS"),
    ({"fulfillment": {"locationId": "gid://shopify/Location/1"}}, ["order", "fulfillment", "locationId"], "INVALID"),
])
def test_order_create_answers_bad_input_with_user_errors(shopify_sandbox, token, change, field, code):
    item = variant(shopify_sandbox)
    levels = dict(item.levels)
    result = create(shopify_sandbox, token, {**tiktok_order(item.id), **change})
    assert result["order"] is None and result["userErrors"][0]["field"] == field
    assert result["userErrors"][0]["code"] == code
    assert item.levels == levels and not shopify_sandbox.sandbox.shop(SHOP).orders


def test_an_id_metafield_is_unique_across_orders(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    metafield = {"metafields": [{"namespace": "$app:tiktok", "key": "order_id", "type": "id", "value": "42"}]}
    assert create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="42", **metafield))["order"]
    again = create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="42", **metafield))
    assert again["order"] is None and again["userErrors"][0]["field"] == ["order", "metafields", "0", "value"]
    found = gql(shopify_sandbox, token, """query { orderByIdentifier(identifier: {customId: {namespace: "$app:tiktok",
        key: "order_id", value: "42"}}) { sourceIdentifier metafield(namespace: "$app:tiktok", key: "order_id")
        { value type } } }""")["data"]["orderByIdentifier"]
    assert found == {"sourceIdentifier": "42", "metafield": {"value": "42", "type": "id"}}


def test_search_by_source_identifier_tag_and_name_with_an_optional_index_lag(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="111"))
    create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="222"))

    def found(query):
        nodes = gql(shopify_sandbox, token, FIND, {"q": query})["data"]["orders"]["nodes"]
        return [o["sourceIdentifier"] for o in nodes]
    assert found("source_identifier:111") == ["111"]
    assert found("tag:'tiktok:222'") == ["222"] and sorted(found("tag:'TikTok Shop'")) == ["111", "222"]
    assert found("name:TT-222") == ["222"] and found("source_identifier:333") == []
    shopify_sandbox.sandbox.settings["shopify_order_index_lag"] = 0.5
    create(shopify_sandbox, token, tiktok_order(item.id, tiktok_id="333"))
    assert found("source_identifier:333") == []
    eventually(lambda: found("source_identifier:333") == ["333"], timeout=5)


def test_a_development_store_creates_five_orders_a_minute(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    shopify_sandbox.sandbox.shop(SHOP).plan = "development"
    for n in range(5):
        assert create(shopify_sandbox, token, tiktok_order(item.id, quantity=1, tiktok_id=str(n)))["order"]
    body = gql(shopify_sandbox, token, CREATE, {"order": tiktok_order(item.id, quantity=1, tiktok_id="6")})
    assert body["data"]["orderCreate"] is None
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "Exceeded order API rate limit" in body["errors"][0]["message"]
    shopify_sandbox.sandbox.shop(SHOP).plan = "paid"
    assert create(shopify_sandbox, token, tiktok_order(item.id, quantity=1, tiktok_id="7"))["order"]


def test_order_mutations_and_reads_need_their_scopes(shopify_sandbox):
    token = shopify_sandbox.install(scope="read_products,read_inventory,read_locations")["access_token"]
    body = gql(shopify_sandbox, token, CREATE, {"order": tiktok_order(variant(shopify_sandbox).id)})
    assert body["data"]["orderCreate"] is None
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "write_orders" in body["errors"][0]["message"]
    assert gql(shopify_sandbox, token, FIND, {"q": ""})["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    sub = gql(shopify_sandbox, token, """mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE,
        webhookSubscription: {uri: "https://example.com/hooks"}) { userErrors { field message } } }""")
    assert sub["data"]["webhookSubscriptionCreate"]["userErrors"][0]["field"] == ["topic"]
    reader = shopify_sandbox.install(scope="read_orders")["access_token"]
    hold = gql(shopify_sandbox, reader, HOLD, {"id": "gid://shopify/FulfillmentOrder/1"})
    assert hold["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


# ---- cancel --------------------------------------------------------------------------------------------
def test_cancel_is_a_job_that_restocks_and_sends_orders_cancelled(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "ORDERS_CANCELLED", "REFUNDS_CREATE")
    item = variant(shopify_sandbox)
    before = dict(item.levels)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=3))["order"]
    cancel = gql(shopify_sandbox, token, CANCEL, {"id": order["id"]})["data"]["orderCancel"]
    assert cancel["orderCancelUserErrors"] == [] and cancel["job"]["done"] is False

    def done():
        job = gql(shopify_sandbox, token, JOB, {"id": cancel["job"]["id"], "order": order["id"]})["data"]["job"]
        return job if job["done"] else None
    job = eventually(done, timeout=5)
    assert job["query"]["order"]["cancelledAt"] and job["query"]["order"]["cancelReason"] == "CUSTOMER"
    assert job["query"]["order"]["displayFinancialStatus"] == "REFUNDED"
    statuses = gql(shopify_sandbox, token, """query O($id: ID!) { order(id: $id) { displayFulfillmentStatus
        fulfillmentOrders(first: 5) { nodes { status } } } }""", {"id": order["id"]})["data"]["order"]
    assert statuses["fulfillmentOrders"]["nodes"] == [{"status": "CANCELLED"}]
    assert item.levels == before and not any(item.committed.values())
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    cancelled = received(webhook_receiver, "orders/cancelled")
    assert len(cancelled) == 1 and cancelled[0]["cancel_reason"] == "customer"
    assert received(webhook_receiver, "refunds/create")[0]["refund_line_items"][0]["restock_type"] == "cancel"
    again = gql(shopify_sandbox, token, CANCEL, {"id": order["id"]})["data"]["orderCancel"]
    assert again["job"] is None and again["orderCancelUserErrors"][0]["code"] == "INVALID"
    missing = gql(shopify_sandbox, token, CANCEL, {"id": "gid://shopify/Order/1"})["data"]["orderCancel"]
    assert missing["orderCancelUserErrors"][0]["code"] == "NOT_FOUND"


# ---- holds and fulfilments ----------------------------------------------------------------------------------
def test_a_held_order_cannot_ship_until_released_then_ships_in_parts(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "FULFILLMENTS_CREATE", "FULFILLMENT_ORDERS_PLACED_ON_HOLD")
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=3))["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    location_id = int(fo["assignedLocation"]["location"]["id"].rsplit("/", 1)[1])
    held = gql(shopify_sandbox, token, HOLD, {"id": fo["id"]})["data"]["fulfillmentOrderHold"]
    assert held["userErrors"] == [] and held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert gql(shopify_sandbox, token, HOLD, {"id": fo["id"]})["data"]["fulfillmentOrderHold"]["userErrors"][0][
        "code"] == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    assert gql(shopify_sandbox, token, STATUS, {"id": order["id"]})["data"]["order"][
        "displayFulfillmentStatus"] == "ON_HOLD"
    line = fo["lineItems"]["nodes"][0]
    partial = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"],
                                                "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}],
               "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784",
                                "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}}
    refused = gql(shopify_sandbox, token, FULFIL, {"fulfillment": partial})["data"]["fulfillmentCreate"]
    assert refused["fulfillment"] is None and "on_hold" in refused["userErrors"][0]["message"]
    released = gql(shopify_sandbox, token, RELEASE, {"id": fo["id"]})["data"]["fulfillmentOrderReleaseHold"]
    assert released["fulfillmentOrder"]["status"] == "OPEN"
    first = gql(shopify_sandbox, token, FULFIL, {"fulfillment": partial})["data"]["fulfillmentCreate"]
    assert first["userErrors"] == [] and first["fulfillment"]["status"] == "SUCCESS"
    assert first["fulfillment"]["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784",
                                                     "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}]
    assert item.committed[location_id] == 1
    assert gql(shopify_sandbox, token, STATUS, {"id": order["id"]})["data"]["order"][
        "displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    too_many = dict(partial, lineItemsByFulfillmentOrder=[{"fulfillmentOrderId": fo["id"],
                                                           "fulfillmentOrderLineItems": [{"id": line["id"],
                                                                                          "quantity": 2}]}])
    assert gql(shopify_sandbox, token, FULFIL, {"fulfillment": too_many})["data"]["fulfillmentCreate"]["userErrors"]
    rest = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
            "trackingInfo": {"company": "USPS", "number": "9400111899223856928499"}}
    assert gql(shopify_sandbox, token, FULFIL, {"fulfillment": rest})["data"]["fulfillmentCreate"]["fulfillment"]
    assert gql(shopify_sandbox, token, STATUS, {"id": order["id"]})["data"]["order"][
        "displayFulfillmentStatus"] == "FULFILLED"
    assert item.committed[location_id] == 0
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    shipped = received(webhook_receiver, "fulfillments/create")
    assert [s["tracking_number"] for s in shipped] == ["1Z999AA10123456784", "9400111899223856928499"]
    assert shipped[0]["line_items"][0]["quantity"] == 2 and shipped[0]["tracking_company"] == "UPS"
    assert received(webhook_receiver, "fulfillment_orders/placed_on_hold")


def test_an_already_fulfilled_order_arrives_fulfilled(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    location = sorted(shopify_sandbox.sandbox.shop(SHOP).locations)[-1]  # not where routing would claim
    before = item.levels.get(location, 0)
    spec = tiktok_order(item.id, fulfillment={"locationId": f"gid://shopify/Location/{location}",
                                              "trackingNumber": "TT123", "trackingCompany": "TikTok Shipping",
                                              "notifyCustomer": False})
    order = create(shopify_sandbox, token, spec)["order"]
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert order["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["location"]["id"].endswith(f"/{location}")
    assert item.levels[location] == before - 2 and not any(item.committed.values())


# ---- refunds -------------------------------------------------------------------------------------------------
def test_refund_with_return_restocks_once_per_idempotency_key(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "REFUNDS_CREATE")
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    location = fo["assignedLocation"]["location"]["id"]
    location_id = int(location.rsplit("/", 1)[1])
    gql(shopify_sandbox, token, FULFIL, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"]}]}})
    after_sale = item.levels[location_id]
    line_id = order["lineItems"]["nodes"][0]["id"]
    refund = {"input": {"orderId": order["id"], "note": "TikTok return", "notify": False,
                        "refundLineItems": [{"lineItemId": line_id, "quantity": 1, "restockType": "RETURN",
                                             "locationId": location}],
                        "transactions": [{"orderId": order["id"], "kind": "REFUND", "gateway": "TikTok Shop",
                                          "amount": "19.99"}]}}
    first = gql(shopify_sandbox, token, REFUND % "key-1", refund)["data"]["refundCreate"]
    assert first["userErrors"] == [] and first["refund"]["refundLineItems"]["nodes"][0]["restocked"] is True
    again = gql(shopify_sandbox, token, REFUND % "key-1", refund)["data"]["refundCreate"]
    assert again["refund"]["id"] == first["refund"]["id"] and item.levels[location_id] == after_sale + 1
    changed = dict(refund["input"], note="another")
    assert gql(shopify_sandbox, token, REFUND % "key-1", {"input": changed})["errors"][0]["extensions"]["code"] == \
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    no_key = gql(shopify_sandbox, token, (REFUND % "x").replace('@idempotent(key: "x")', ""), refund)
    assert no_key["data"]["refundCreate"] is None and no_key["errors"]
    over = gql(shopify_sandbox, token, REFUND % "key-2", {"input": dict(refund["input"], refundLineItems=[
        {"lineItemId": line_id, "quantity": 2, "restockType": "RETURN"}], transactions=[])})["data"]["refundCreate"]
    assert over["refund"] is None and over["userErrors"][0]["field"] == ["refundLineItems", "0", "quantity"]
    status = gql(shopify_sandbox, token, STATUS, {"id": order["id"]})["data"]["order"]
    assert status["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    refunds = received(webhook_receiver, "refunds/create")
    assert len(refunds) == 1 and refunds[0]["refund_line_items"][0]["restock_type"] == "return"


def test_refund_with_cancel_restock_takes_unshipped_units_off_the_order(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    before = dict(item.levels)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))["order"]
    refund = {"input": {"orderId": order["id"], "refundLineItems": [
        {"lineItemId": order["lineItems"]["nodes"][0]["id"], "quantity": 1, "restockType": "CANCEL"}]}}
    result = gql(shopify_sandbox, token, REFUND % "cancel-1", refund)["data"]["refundCreate"]
    assert result["userErrors"] == [] and sum(item.levels.values()) == sum(before.values()) - 1
    nodes = gql(shopify_sandbox, token, """query O($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes {
        quantity currentQuantity unfulfilledQuantity } } } }""", {"id": order["id"]})["data"]["order"]
    assert nodes["lineItems"]["nodes"] == [{"quantity": 2, "currentQuantity": 1, "unfulfilledQuantity": 1}]


# ---- the merchant's side: the control page -------------------------------------------------------------------
def test_the_merchant_fulfils_an_order_from_the_admin_page(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "FULFILLMENTS_CREATE")
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    gql(shopify_sandbox, token, HOLD, {"id": fo["id"]})
    admin = f"{shopify_sandbox.url}/_control/shops/{SHOP}/admin"
    page = requests.get(admin, timeout=5).text
    assert "TT-576461413038785752" in page and "Fulfill items" not in page  # held: nothing to ship yet
    order_id = order["id"].rsplit("/", 1)[1]
    held = requests.post(f"{shopify_sandbox.url}/_control/shops/{SHOP}/orders/{order_id}/fulfil",
                         json={"tracking_number": "1Z1", "tracking_company": "UPS"}, timeout=5)
    assert held.status_code == 400 and "on hold" in held.json()["message"]
    gql(shopify_sandbox, token, RELEASE, {"id": fo["id"]})
    assert "Fulfill items" in requests.get(admin, timeout=5).text
    answer = requests.post(f"{admin}/orders/{order_id}/fulfil",
                           data={"tracking_company": "UPS", "tracking_number": "1Z999AA10123456784"}, timeout=5)
    assert answer.status_code == 200 and answer.url == admin and "1Z999AA10123456784" in answer.text
    status = gql(shopify_sandbox, token, STATUS, {"id": order["id"]})["data"]["order"]
    assert status["displayFulfillmentStatus"] == "FULFILLED"
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    shipped = received(webhook_receiver, "fulfillments/create")
    assert shipped[0]["tracking_company"] == "UPS" and shipped[0]["tracking_number"] == "1Z999AA10123456784"


def test_plan_and_order_location_controls(shopify_sandbox, token):
    base = f"{shopify_sandbox.url}/_control/shops/{SHOP}"
    item = variant(shopify_sandbox)
    other = sorted(shopify_sandbox.sandbox.shop(SHOP).locations)[-1]
    assert requests.post(f"{base}/order-location", json={"location_id": other}, timeout=5).status_code == 200
    before = item.levels.get(other, 0)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=1))["order"]
    assert order["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["location"]["id"].endswith(f"/{other}")
    assert item.levels[other] == before - 1
    assert requests.post(f"{base}/order-location", json={"location_id": 1}, timeout=5).status_code == 404
    assert requests.post(f"{base}/plan", json={"plan": "enterprise"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/plan", json={"plan": "development"}, timeout=5).json() == {"plan": "development"}
    assert shopify_sandbox.sandbox.shop(SHOP).plan == "development"
    listed = requests.get(f"{base}/orders", timeout=5).json()
    assert [o["source_identifier"] for o in listed] == ["576461413038785752"]


def test_order_update_changes_the_address_and_tracking_updates_send_fulfillments_update(shopify_sandbox, token,
                                                                                         webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "ORDERS_UPDATED", "FULFILLMENTS_UPDATE")
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, shippingAddress=None))["order"]
    address = {"firstName": "Sam", "lastName": "Rivera", "address1": "200 Lake Shore Dr", "city": "Chicago",
               "provinceCode": "IL", "countryCode": "US", "zip": "60601"}
    updated = gql(shopify_sandbox, token, """mutation U($input: OrderInput!) { orderUpdate(input: $input) {
        order { shippingAddress { city zip countryCodeV2 } tags } userErrors { field message } } }""",
                  {"input": {"id": order["id"], "shippingAddress": address, "tags": ["TikTok Shop", "released"]}})
    assert updated["data"]["orderUpdate"]["order"] == {"shippingAddress": {"city": "Chicago", "zip": "60601",
                                                                           "countryCodeV2": "US"},
                                                       "tags": ["released", "TikTok Shop"]}
    fo = order["fulfillmentOrders"]["nodes"][0]
    made = gql(shopify_sandbox, token, FULFIL, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"]}], "trackingInfo": {"company": "UPS", "number": "1Z1"}}})
    fulfillment_id = made["data"]["fulfillmentCreate"]["fulfillment"]["id"]
    fixed = gql(shopify_sandbox, token, """mutation T($id: ID!, $tracking: FulfillmentTrackingInput!) {
        fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: false) {
        fulfillment { trackingInfo(first: 3) { company number } } userErrors { field message } } }""",
                {"id": fulfillment_id, "tracking": {"company": "USPS", "number": "9400111899223856928499"}})
    assert fixed["data"]["fulfillmentTrackingInfoUpdate"]["fulfillment"]["trackingInfo"] == [
        {"company": "USPS", "number": "9400111899223856928499"}]
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    assert received(webhook_receiver, "fulfillments/update")[0]["tracking_number"] == "9400111899223856928499"
    assert received(webhook_receiver, "orders/updated")[0]["shipping_address"]["city"] == "Chicago"


def test_a_storefront_sale_claims_stock_and_is_refused_when_sold_out(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "ORDERS_CREATE")
    item = variant(shopify_sandbox)
    location = next(iter(shopify_sandbox.sandbox.shop(SHOP).locations))
    for location_id in list(item.levels):
        item.levels[location_id] = 0
    item.levels[location] = 2
    sale = f"{shopify_sandbox.url}/_control/shops/{SHOP}/storefront/orders"
    sold = requests.post(sale, json={"sku": VARIANT_SKU, "quantity": 2}, timeout=5)
    assert sold.status_code == 201 and sold.json()["source_name"] == "web"
    assert item.levels[location] == 0 and item.committed[location] == 2
    refused = requests.post(sale, json={"sku": VARIANT_SKU, "quantity": 1}, timeout=5)
    assert refused.status_code == 409 and "sold out" in refused.json()["message"]
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    assert [o["source_name"] for o in received(webhook_receiver, "orders/create")] == ["web"]


def test_faults_can_target_one_mutation_and_strike_after_it_ran(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    shopify_sandbox.sandbox.add_fault("http", status=504, field="orderCreate", after=True)
    lost = shopify_sandbox.graphql(token, CREATE, {"order": tiktok_order(item.id, tiktok_id="9")})
    assert lost.status_code == 504  # the answer is lost ...
    assert [o["sourceIdentifier"] for o in gql(shopify_sandbox, token, FIND, {"q": "source_identifier:9"})[
        "data"]["orders"]["nodes"]] == ["9"]  # ... but the order exists, and the query above was not struck
    shopify_sandbox.sandbox.add_fault("http", status=503, field="orderCreate")
    refused = shopify_sandbox.graphql(token, CREATE, {"order": tiktok_order(item.id, tiktok_id="10")})
    assert refused.status_code == 503
    assert gql(shopify_sandbox, token, FIND, {"q": "source_identifier:10"})["data"]["orders"]["nodes"] == []
    log = shopify_sandbox.sandbox.request_log(SHOP)
    assert [entry["fault"] for entry in log if entry["fault"]] == ["http 504 after running", "http 503"]


SHIPMENTS = """
query OrderShipments($id: ID!) {
  order(id: $id) {
    id sourceIdentifier displayFulfillmentStatus
    fulfillments(first: 5) {
      id legacyResourceId status displayStatus createdAt updatedAt location { id }
      trackingInfo(first: 10) { company number url }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id sku variant { id } } } }
    }
    fulfillmentOrders(first: 5) {
      nodes { id status requestStatus assignedLocation { location { id } }
              lineItems(first: 20) { nodes { id totalQuantity remainingQuantity lineItem { id sku } } } }
    }
    transactions(first: 10) { id kind status gateway amountSet { shopMoney { amount currencyCode } } }
    refunds(first: 5) { id note totalRefundedSet { shopMoney { amount } } }
  }
}"""
TRACKING = """
query FulfillmentTracking($id: ID!) {
  fulfillment(id: $id) { id status displayStatus updatedAt order { id sourceIdentifier }
    trackingInfo(first: 10) { company number url }
    fulfillmentLineItems(first: 100) { nodes { quantity lineItem { id sku } } } }
}"""


def test_the_read_backs_a_tracking_sync_uses(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    made = gql(shopify_sandbox, token, FULFIL, {"fulfillment": {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [
            {"id": fo["lineItems"]["nodes"][0]["id"], "quantity": 1}]}],
        "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784"}}})["data"]["fulfillmentCreate"]
    body = gql(shopify_sandbox, token, SHIPMENTS, {"id": order["id"]})
    assert "errors" not in body, body
    shipped = body["data"]["order"]
    assert shipped["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert shipped["fulfillments"][0]["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784",
                                                           "url": None}]
    assert shipped["fulfillments"][0]["fulfillmentLineItems"]["nodes"][0]["quantity"] == 1
    assert shipped["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"][0]["remainingQuantity"] == 1
    assert shipped["transactions"][0]["gateway"] == "TikTok Shop" and shipped["refunds"] == []
    legacy = shipped["fulfillments"][0]["legacyResourceId"]
    tracking = gql(shopify_sandbox, token, TRACKING, {"id": f"gid://shopify/Fulfillment/{legacy}"})
    assert tracking["data"]["fulfillment"]["id"] == made["fulfillment"]["id"]
    assert tracking["data"]["fulfillment"]["order"]["sourceIdentifier"] == "576461413038785752"
    reader = shopify_sandbox.install(scope="read_orders")["access_token"]
    denied = gql(shopify_sandbox, reader, SHIPMENTS, {"id": order["id"]})
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"  # fulfillment orders need their scope


def test_a_variant_that_keeps_selling_is_claimed_past_zero(shopify_sandbox, token):
    item = variant(shopify_sandbox)
    shopify_sandbox.sandbox.set_inventory_behaviour(SHOP, item.id, policy="CONTINUE")
    for location_id in list(item.levels):
        item.levels[location_id] = 0
    obeying = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2), behaviour="DECREMENT_OBEYING_POLICY")
    assert obeying["userErrors"] == [] and min(item.levels.values()) == -2
    sale = requests.post(f"{shopify_sandbox.url}/_control/shops/{SHOP}/storefront/orders",
                         json={"sku": VARIANT_SKU, "quantity": 1}, timeout=5)
    assert sale.status_code == 201


def test_a_cancelled_fulfillment_is_to_ship_again(shopify_sandbox, token, webhook_receiver):
    subscribe(shopify_sandbox, token, webhook_receiver.url, "FULFILLMENTS_UPDATE")
    item = variant(shopify_sandbox)
    order = create(shopify_sandbox, token, tiktok_order(item.id, quantity=2))["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    location_id = int(fo["assignedLocation"]["location"]["id"].rsplit("/", 1)[1])
    made = gql(shopify_sandbox, token, FULFIL, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"]}], "trackingInfo": {"number": "1Z999AA10123456784"}}})
    fulfillment_id = made["data"]["fulfillmentCreate"]["fulfillment"]["id"]
    assert item.committed[location_id] == 0
    cancel = """mutation C($id: ID!) { fulfillmentCancel(id: $id) { fulfillment { id status } userErrors { message } } }"""
    voided = gql(shopify_sandbox, token, cancel, {"id": fulfillment_id})["data"]["fulfillmentCancel"]
    assert voided["fulfillment"]["status"] == "CANCELLED" and item.committed[location_id] == 2
    status = gql(shopify_sandbox, token, SHIPMENTS, {"id": order["id"]})["data"]["order"]
    assert status["displayFulfillmentStatus"] == "UNFULFILLED"
    assert status["fulfillmentOrders"]["nodes"][0]["status"] == "OPEN"
    assert gql(shopify_sandbox, token, cancel, {"id": fulfillment_id})["data"]["fulfillmentCancel"]["userErrors"]
    shopify_sandbox.sandbox.wait_for_webhooks(5)
    assert received(webhook_receiver, "fulfillments/update")[0]["status"] == "cancelled"
