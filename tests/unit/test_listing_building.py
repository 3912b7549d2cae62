"""The pure parts of building a TikTok listing: description, attributes, variants, package, templates, problems."""
from __future__ import annotations

from decimal import Decimal

import pytest

from shopsync.platforms.tiktok.listings import AttributeSpec, AttributeValue
from shopsync.sync.listings import attributes, description, variants
from shopsync.sync.listings.problems import from_tiktok
from shopsync.sync.listings.source import SourceImage, SourceProduct, SourceVariant, source_from_node
from shopsync.sync.listings.templates import TemplateError, clean_template, matches


def _product(**overrides) -> SourceProduct:
    base = dict(shopify_id=1, title="Classic Tee", description_html="<p>Soft.</p>", vendor="Acme",
                product_type="Tee", tags=("summer", "Fabric: Linen"), option_names=("Size", "Color"),
                collections=("Basics",), metafields={"custom.material": "Cotton, Wool"}, category="",
                images=(SourceImage("https://cdn.shopify.com/a.png", "", 1),),
                variants=(SourceVariant(11, "S / Red", "TEE-S-R", "012345678905", Decimal("20"), Decimal("25"),
                                        (("Size", "S"), ("Color", "Red")), (Decimal("250"), "GRAMS")),
                          SourceVariant(12, "M / Red", "TEE-M-R", "", Decimal("20"), None,
                                        (("Size", "M"), ("Color", "Red")), (Decimal("1.5"), "POUNDS"))))
    base.update(overrides)
    return SourceProduct(**base)


def _spec(name, *values, required=True, multiple=False, custom=False, sales=False, when=()):
    return AttributeSpec(id=str(abs(hash(name)) % 10**6), name=name, is_sales=sales, required=required,
                         multiple=multiple, customizable=custom,
                         values=tuple(AttributeValue(str(n), v) for n, v in enumerate(values, 100)),
                         required_when=when)


def test_sanitizer_keeps_structure_and_drops_scripts_links_and_handlers():
    clean = description.sanitize('<p onclick="x()">Hi <a href="https://evil">there</a><script>bad()</script>'
                                 '</p><iframe src="x"></iframe><!-- note --><ul><li>One</li></ul>')
    assert clean == "<p>Hi there</p><ul><li>One</li></ul>"


def test_description_images_are_swapped_for_tiktoks_and_unknown_ones_left_out():
    clean = description.sanitize('<p>A<img src="https://cdn.shopify.com/1.png"><img src="https://x/2.png"></p>')
    assert description.image_sources(clean) == ["https://cdn.shopify.com/1.png", "https://x/2.png"]
    hosted = description.with_hosted_images(clean, {"https://cdn.shopify.com/1.png": ("https://t/1", 800, 600)})
    assert hosted == '<p>A<img src="https://t/1" width="800" height="600"></p>'


def test_a_long_description_is_cut_after_whole_blocks():
    blocks = "".join(f"<p>{'word ' * 30}{n}</p>" for n in range(200))
    cut, shortened = description.fit(blocks, 1000)
    assert shortened and len(cut) <= 1000 and cut.endswith("</p>") and cut.count("<p>") == cut.count("</p>")
    assert description.fit("<p>short</p>") == ("<p>short</p>", False)


def test_attributes_come_from_picks_template_rules_metafields_and_tags():
    material = _spec("Material", "Cotton", "Wool", "Silk", multiple=True)
    fabric = _spec("Fabric", required=False, custom=True)
    season = _spec("Season", "Summer", "Winter", required=False)
    filled, problems = attributes.fill([material, fabric, season], _product(), [
        {"attribute_id": season.id, "source": "value", "value": "Summer"}], {}, "T-shirts")
    by_id = {item["id"]: item["values"] for item in filled}
    assert by_id[material.id] == [{"id": "100"}, {"id": "101"}]  # from the metafield, matched to TikTok's list
    assert by_id[fabric.id] == [{"name": "Linen"}]  # a "Fabric: Linen" tag, a custom value where allowed
    assert by_id[season.id] == [{"id": "100"}] and not problems
    picked, _ = attributes.fill([material], _product(), [], {material.id: ["Silk"]}, "T-shirts")
    assert picked == [{"id": material.id, "values": [{"id": "102"}]}]


def test_values_outside_a_closed_list_and_missing_required_attributes_are_problems():
    warranty = _spec("Warranty Type", "No Warranty", "Seller Warranty")
    batteries = _spec("Contains Batteries", "Yes", "No")
    battery_type = _spec("Battery Type", "Lithium-ion", required=False, when=((batteries.id, "100"),))
    product = _product(metafields={"custom.warranty_type": "Lifetime", "custom.contains_batteries": "Yes"})
    _, problems = attributes.fill([warranty, batteries, battery_type], product, [], {}, "Phone Cases")
    messages = [p.message for p in problems]
    assert messages[0].startswith("Warranty Type: TikTok doesn't accept “Lifetime”")
    assert "No Warranty, Seller Warranty" in problems[0].fix
    assert any(m.startswith("Battery Type: TikTok requires it") for m in messages)


def test_variants_become_skus_with_sales_attributes_barcodes_and_stock_on_the_first_warehouse():
    stock = {11: variants.Stocked(Decimal("19.99"), 7), 12: variants.Stocked(Decimal("19.99"), 0)}
    skus, problems = variants.build_skus(_product(), stock, "USD", ["W1", "W2"], seller_sku_required=True)
    assert not problems and len(skus) == 2
    first = skus[0]
    assert first["sales_attributes"] == [{"name": "Size", "value_name": "S"}, {"name": "Color", "value_name": "Red"}]
    assert first["identifier_code"] == {"type": "UPC", "code": "012345678905"}
    assert first["inventory"] == [{"warehouse_id": "W1", "quantity": 7}, {"warehouse_id": "W2", "quantity": 0}]
    assert first["external_list_prices"][0]["amount"] == "25" and "identifier_code" not in skus[1]


def test_more_than_100_variants_is_refused_with_the_reason():
    many = tuple(SourceVariant(n, str(n), f"S{n}", "", Decimal(1), None, (("Size", str(n)),), None)
                 for n in range(101))
    skus, problems = variants.build_skus(_product(variants=many, option_names=("Size",)), {}, "USD", ["W"], False)
    assert skus == [] and "101 variants; TikTok takes at most 100" in problems[0].message


def test_barcodes_need_a_valid_check_digit():
    assert variants.identifier_code("4006381333931") == {"type": "EAN", "code": "4006381333931"}
    assert variants.identifier_code("4006381333932") is None and variants.identifier_code("ABC") is None


def test_package_weight_is_the_heaviest_variant_and_units_follow_the_market():
    fields, problems = variants.package(_product(), {"length": "30", "width": "20", "height": "5"}, "US", True)
    assert fields["package_weight"] == {"value": "0.681", "unit": "KILOGRAM"} and not problems
    imperial, _ = variants.package(_product(), {"length": "12", "width": "8", "height": "2",
                                                "dimension_unit": "INCH"}, "US", True)
    assert imperial["package_weight"] == {"value": "1.50", "unit": "POUND"}
    assert imperial["package_dimensions"]["unit"] == "INCH"
    weightless = _product(variants=(SourceVariant(1, "x", "x", "", Decimal(1), None, (), None),))
    _, problems = variants.package(weightless, {}, "GB", True)
    assert [p.field for p in problems] == ["Package", "Package"]


def test_templates_match_on_type_vendor_tag_or_collection_and_validate_their_fields():
    product = _product()
    for field, value, expected in (("product_type", "tee", True), ("vendor", "Other", False), ("tag", "SUMMER", True),
                                   ("collection", "Basics", True), ("any", "", True)):
        template = type("T", (), {"match_field": field, "match_value": value})()
        assert matches(template, product) is expected
    with pytest.raises(TemplateError) as refused:
        clean_template({"name": "", "match_field": "colour", "category_id": "abc",
                        "attribute_rules": [{"attribute_id": "x", "source": "magic", "value": ""}],
                        "package": {"length": "-1", "width": "2", "height": "3"}})
    assert {"name", "match_field", "category_id", "attribute_rules[1]", "dimensions"} <= set(refused.value.errors)


def test_tiktok_codes_become_merchant_words_with_a_fix():
    problem = from_tiktok(12052104, "Attribute 'Material' is required")
    assert problem.field == "Attributes" and "template" in problem.fix
    unknown = from_tiktok(99999999, "The weight is odd")
    assert unknown.field == "Package" and unknown.fix


def test_source_product_is_read_from_the_listing_query_shape():
    node = {"id": "gid://shopify/Product/5", "title": "Mug", "descriptionHtml": "<p>x</p>", "vendor": "V",
            "productType": "Home", "tags": ["a"], "options": [{"name": "Color"}], "category": None,
            "collections": {"nodes": [{"title": "Home"}]},
            "metafields": {"nodes": [{"namespace": "custom", "key": "material", "value": "Ceramic"}]},
            "media": {"nodes": [{"id": "m", "image": {"url": "https://cdn.shopify.com/m.png"}}, {"id": "video"}]},
            "variants": {"pageInfo": {"hasNextPage": False}, "nodes": [
                {"id": "gid://shopify/ProductVariant/9", "title": "White", "sku": " MUG-W ", "barcode": None,
                 "price": "12.00", "compareAtPrice": None, "selectedOptions": [{"name": "Color", "value": "White"}],
                 "inventoryItem": {"measurement": {"weight": {"unit": "GRAMS", "value": 450.0}}}}]}}
    source = source_from_node(node)
    assert source.shopify_id == 5 and source.metafields == {"custom.material": "Ceramic"}
    assert [i.url for i in source.images] == ["https://cdn.shopify.com/m.png"]
    assert source.variants[0].sku == "MUG-W" and source.variants[0].weight == (Decimal("450.0"), "GRAMS")
    assert source.has_options and source.gid == "gid://shopify/Product/5"
