"""What stops a listing, in the merchant's words: which part of the product, what is wrong, how to fix it.

TikTok's listing check answers with error codes (the same as Create Product's); FIXES says, per
code, which field it concerns and what the merchant does about it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

TITLE, DESCRIPTION, CATEGORY, ATTRIBUTES, BRAND = "Title", "Description", "Category", "Attributes", "Brand"
IMAGES, VARIANTS, PRICE, STOCK, PACKAGE, SHOP = "Images", "Variants", "Price", "Stock", "Package", "Shop"


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    fix: str
    code: int | None = None  # TikTok's, when TikTok found it

    def as_json(self) -> dict:
        return asdict(self)


_SHOPIFY_TITLE = "Edit the product's title in Shopify."
_SHOPIFY_DESCRIPTION = "Edit the product's description in Shopify."
_TEMPLATE_ATTRIBUTES = "Pick a value on the listing's page, or map it from a Shopify field in the category template."
_CATEGORY = "Pick another TikTok category on the listing's page or in its template."
FIXES: dict[int, tuple[str, str]] = {
    12052261: (TITLE, "Give the product a title in Shopify."),
    12052051: (TITLE, "Shorten the title in Shopify to 255 characters or fewer."),
    12052262: (TITLE, "Write the title without Chinese characters."),
    12052931: (TITLE, "Remove emojis, symbols like &amp; and long runs of one character from the title."),
    12052263: (TITLE, _SHOPIFY_TITLE),
    12052015: (DESCRIPTION, "Write a description for the product in Shopify."),
    12052013: (DESCRIPTION, "Shorten the description in Shopify to 10,000 characters or fewer."),
    12052344: (DESCRIPTION, "Fix the description's formatting in Shopify (a tag left open or closed twice)."),
    12052345: (DESCRIPTION, "ShopSync uploads description images to TikTok; replace any image it could not fetch."),
    12052346: (DESCRIPTION, "Remove scripts, videos, forms or embedded frames from the description."),
    12052347: (DESCRIPTION, "Remove scripts from the description's HTML."),
    12052056: (DESCRIPTION, "Use at most 30 images in the description."),
    12052023: (CATEGORY, "Choose a TikTok category for the product."),
    12052024: (CATEGORY, "Choose a category at the bottom of TikTok's tree (a leaf)."),
    12052025: (CATEGORY, "TikTok no longer has this category. " + _CATEGORY),
    12052217: (CATEGORY, "This shop uses TikTok's newer (v2) categories. " + _CATEGORY),
    12052230: (CATEGORY, _CATEGORY),
    12052220: (CATEGORY, "TikTok does not allow this category in your market. " + _CATEGORY),
    12052223: (CATEGORY, "Apply for this restricted category in Seller Center, or choose another."),
    12052226: (CATEGORY, "Apply for this restricted category in Seller Center, or choose another."),
    12052225: (CATEGORY, "Use one of your shop's main categories, or add this one in Seller Center."),
    12052104: (ATTRIBUTES, _TEMPLATE_ATTRIBUTES),
    12052105: (ATTRIBUTES, "Upload the qualification TikTok asks for in Seller Center."),
    12052182: (ATTRIBUTES, _TEMPLATE_ATTRIBUTES),
    12052183: (ATTRIBUTES, "Remove the attribute that another attribute's value rules out."),
    98001004: (ATTRIBUTES, "Correct the value TikTok names."),
    12052201: (BRAND, "Get the brand authorized in Seller Center, or list the product without a brand."),
    12052208: (BRAND, "Get the brand authorized for this category in Seller Center, or choose another brand."),
    12052200: (BRAND, "Renew the brand authorization in Seller Center."),
    12052028: (IMAGES, "Add at least one image to the product in Shopify."),
    12052300: (IMAGES, "Replace the image in Shopify."),
    12052301: (IMAGES, "Use images of at least 300 x 300 pixels."),
    12052302: (IMAGES, "Use images of 300 to 4,000 pixels on each side."),
    12052303: (IMAGES, "Use images under 5 MB."),
    12052304: (IMAGES, "Use JPG, PNG, WEBP or BMP images."),
    12052305: (IMAGES, "Use at most 9 images."),
    12052722: (IMAGES, "Publish again: ShopSync uploads the images first."),
    12052050: (VARIANTS, "Reduce the product to 100 variants or fewer in Shopify."),
    12052525: (VARIANTS, "Use at most 3 options (such as Size and Color) in Shopify."),
    12052526: (VARIANTS, "Shorten option names to 20 characters and values to 50."),
    12052550: (VARIANTS, "Give every variant a value for every option in Shopify."),
    12052560: (VARIANTS, "Make each variant's combination of option values different in Shopify."),
    12052528: (VARIANTS, "Only one option can carry variant images."),
    12052054: (VARIANTS, "Use SKUs of 1 to 50 characters without spaces in Shopify."),
    12019059: (VARIANTS, "Correct the variant's SKU in Shopify."),
    12052591: (VARIANTS, "Correct the barcode in Shopify (a GTIN, UPC or EAN with its check digit)."),
    12052592: (VARIANTS, "Give each variant its own barcode in Shopify."),
    12052593: (VARIANTS, "TikTok keeps the first barcode sent; contact TikTok support to change it."),
    12052600: (VARIANTS, "Correct the barcode in Shopify."),
    12052073: (PRICE, "Give the variant a price above 0 in Shopify."),
    12052092: (PRICE, "Correct the variant's price in Shopify."),
    12052570: (PRICE, "TikTok caps prices in your market; lower the price or the shop's price rule."),
    12052571: (PRICE, "Give every variant a price in Shopify."),
    12052084: (PRICE, "Set the shop's currency rate in ShopSync's default rules."),
    12052055: (STOCK, "Keep stock between 0 and 999,999."),
    12052486: (STOCK, "Map a Shopify location to the TikTok warehouse on the shop's page."),
    12052530: (STOCK, "Enable a sales warehouse in Seller Center, then reload the shop in ShopSync."),
    12052006: (PACKAGE, "Correct the package weight."),
    12052181: (PACKAGE, "Give the product a weight in Shopify, or a default package weight in its template."),
    12052915: (PACKAGE, "Use metric (kg, cm) or imperial (lb, in) for both weight and dimensions."),
    12019061: (PACKAGE, "Use a weight unit TikTok allows in your market (kg; lb in the US)."),
    12052222: (SHOP, "Cash on delivery is not available in this category."),
    12052402: (SHOP, "Set up a shipping template in Seller Center."),
    12052405: (SHOP, "Set up logistics in Seller Center."),
    12052419: (SHOP, "Complete the shop's tasks in Seller Center (see the shop's readiness)."),
    12052420: (SHOP, "Add a return warehouse in Seller Center."),
    12052996: (SHOP, "TikTok already has a listing for this product; ShopSync links it instead."),
}


def from_tiktok(code: int, message: str) -> Problem:
    field, fix = FIXES.get(code, (_field_from_message(message), "Correct what TikTok names, then check again."))
    return Problem(field=field, message=message, fix=fix, code=code)


def _field_from_message(message: str) -> str:
    lowered = message.lower()
    for word, field in (("title", TITLE), ("description", DESCRIPTION), ("image", IMAGES), ("sku", VARIANTS),
                        ("price", PRICE), ("weight", PACKAGE), ("dimension", PACKAGE), ("attribute", ATTRIBUTES),
                        ("brand", BRAND), ("categor", CATEGORY)):
        if word in lowered:
            return field
    return SHOP


def advice_from_diagnoses(diagnoses) -> list[dict]:
    """TikTok's optional advice (not blocking): [{field, code, advice}]."""
    return [{"field": d.get("field", ""), "code": r.get("code", ""), "advice": r.get("how_to_solve", "")}
            for d in diagnoses or () for r in d.get("diagnosis_results") or ()]
