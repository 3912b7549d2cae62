"""TikTok's v2 category tree as the sandbox serves it: categories, per-category rules, attributes, brands.

Built deterministically from the outline below (same ids on every start). Each leaf takes the
attributes and rules of its top-level family, so a handful of families give hundreds of leaves
realistic requirements: required attributes with value lists, some open to custom values, a
conditional attribute, sales properties, size charts, package dimensions, certifications.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

FIRST_CATEGORY_ID = 600_001
FIRST_ATTRIBUTE_ID = 100_001
FIRST_VALUE_ID = 1_000_001

# family|root name; each indent (two spaces) a level down; third-level lines list siblings separated by ";", and
# a fourth-level line "Parent: a; b" splits one of them. A name may carry "!invite" or "!prohibited".
_OUTLINE = """
apparel|Womenswear & Underwear
  Women's Tops
    T-shirts; Blouses & Shirts; Tank Tops & Camis; Hoodies & Sweatshirts; Sweaters; Crop Tops
      Hoodies & Sweatshirts: Pullover Hoodies; Zip-up Hoodies; Sweatshirts; Fleece Tops
  Women's Bottoms
    Jeans; Trousers; Shorts; Skirts; Leggings; Joggers
  Dresses
    Casual Dresses; Party Dresses; Maxi Dresses; Work Dresses
  Women's Underwear
    Bras; Panties; Shapewear; Sleepwear & Loungewear; Socks & Hosiery
apparel|Menswear & Underwear
  Men's Tops
    T-shirts; Polo Shirts; Shirts; Hoodies & Sweatshirts; Sweaters & Cardigans; Vests
      T-shirts: Graphic Tees; Plain Tees; Long Sleeve Tees; Oversized Tees
  Men's Bottoms
    Jeans; Trousers; Shorts; Joggers & Sweatpants; Swim Shorts
  Men's Outerwear
    Jackets; Coats; Blazers; Puffer Jackets; Raincoats
  Men's Underwear
    Boxers & Briefs; Undershirts; Socks; Pajamas
footwear|Shoes
  Women's Shoes
    Sneakers; Sandals; Boots; Flats; Heels; Slippers
  Men's Shoes
    Sneakers; Boots; Loafers; Sandals & Slides; Dress Shoes; Slippers
  Kids' Shoes
    Sneakers; Sandals; Boots; School Shoes
accessories|Fashion Accessories
  Hats & Caps
    Baseball Caps; Beanies; Bucket Hats; Sun Hats; Fedoras
  Bags
    Tote Bags; Backpacks; Crossbody Bags; Clutches; Wallets; Duffel Bags
  Other Accessories
    Belts; Scarves; Gloves; Sunglasses; Hair Accessories; Keychains
accessories|Jewelry Accessories & Derivatives
  Fine Jewelry
    Rings; Necklaces; Earrings; Bracelets
  Fashion Jewelry
    Rings; Necklaces; Earrings; Bracelets; Anklets; Brooches
home|Home Supplies
  Home Decor
    Candles & Holders; Vases; Wall Art; Clocks; Picture Frames; Artificial Plants
  Bedding
    Duvet Covers; Sheets; Pillows; Blankets & Throws; Mattress Toppers
  Bathroom Supplies
    Towels; Shower Curtains; Bath Mats; Soap Dispensers
  Storage & Organization
    Storage Boxes; Hangers; Shelves; Laundry Baskets
home|Kitchenware
  Drinkware
    Mugs; Tumblers; Water Bottles; Wine Glasses; Tea Cups
      Water Bottles: Insulated Bottles; Glass Bottles; Sports Bottles; Kids' Bottles
  Cookware
    Frying Pans; Pots; Baking Trays; Woks
  Kitchen Utensils & Gadgets
    Knives; Cutting Boards; Spatulas; Peelers; Measuring Cups
  Tableware
    Plates; Bowls; Cutlery Sets; Table Linen
electronics|Phones & Electronics
  Phone Accessories
    Phone Cases; Screen Protectors; Chargers; Cables; Power Banks; Phone Stands
      Cables: USB-C Cables; Lightning Cables; Magnetic Cables; Multi-plug Cables
  Audio & Video
    Headphones; Earbuds; Speakers; Microphones; Soundbars
  Smart Devices
    Smart Watches; Fitness Trackers; Smart Plugs; Smart Bulbs
  Cameras & Photography
    Action Cameras; Tripods; Ring Lights; Camera Bags
electronics|Computers & Office Equipment
  Computer Accessories
    Keyboards; Mice; Mouse Pads; Laptop Stands; USB Hubs; Webcams
  Office Supplies
    Notebooks; Pens; Desk Organizers; Staplers; Labels
beauty|Beauty & Personal Care
  Skincare
    Cleansers; Moisturizers; Serums; Sunscreen; Face Masks; Toners
  Makeup
    Foundation; Lipstick; Mascara; Eyeshadow; Blush; Makeup Brushes
  Hair Care
    Shampoo; Conditioner; Hair Oils; Hair Dryers; Straighteners
  Fragrance
    Perfume; Body Mist; Cologne
sports|Sports & Outdoor
  Fitness Equipment
    Yoga Mats; Dumbbells; Resistance Bands; Jump Ropes; Foam Rollers
  Outdoor Recreation
    Tents; Sleeping Bags; Hiking Backpacks; Camping Lights; Water Flasks
  Cycling
    Bike Helmets; Bike Lights; Bike Locks; Cycling Gloves
  Team Sports
    Footballs; Basketballs; Sports Jerseys; Shin Guards
toys|Toys & Hobbies
  Toys
    Plush Toys; Building Blocks; Puzzles; Dolls; Remote Control Toys; Educational Toys
  Hobbies
    Trading Cards !invite; Model Kits; Art Supplies; Craft Kits; Stickers
pets|Pet Supplies
  Dog Supplies
    Dog Beds; Dog Collars; Dog Leashes; Dog Toys; Dog Bowls
  Cat Supplies
    Cat Beds; Cat Toys; Scratching Posts; Litter Boxes
food|Food & Beverages
  Snacks
    Chips; Chocolate; Candy; Nuts & Seeds; Cookies
  Drinks
    Coffee; Tea; Juice; Alcoholic Beverages !prohibited
books|Books, Magazines & Audio
  Books
    Fiction; Non-fiction; Children's Books; Comics; Cookbooks
  Stationery
    Sticky Notes; Planners; Bookmarks
automotive|Automotive & Motorcycle
  Car Accessories
    Car Phone Holders; Seat Covers; Car Air Fresheners; Floor Mats; Dash Cams
"""


@dataclass(frozen=True)
class Value:
    id: str
    name: str


@dataclass(frozen=True)
class Condition:
    attribute_id: str
    value_id: str


@dataclass(frozen=True)
class Attribute:
    id: str
    name: str
    type: str  # SALES_PROPERTY | PRODUCT_PROPERTY
    is_required: bool
    is_multiple_selection: bool
    is_customizable: bool
    values: tuple[Value, ...]
    requirement_conditions: tuple[Condition, ...] = ()

    def value(self, value_id: str) -> Value | None:
        return next((v for v in self.values if v.id == value_id), None)

    def as_json(self) -> dict:
        # `is_requried` is TikTok's own spelling on the wire.
        return {"id": self.id, "name": self.name, "type": self.type, "is_requried": self.is_required,
                "is_multiple_selection": self.is_multiple_selection, "is_customizable": self.is_customizable,
                "value_data_format": "POSITIVE_INT_OR_DECIMAL" if self.name == "Volume" else "",
                "values": [{"id": v.id, "name": v.name} for v in self.values],
                "requirement_conditions": [{"condition_type": "VALUE_ID_MATCH", "attribute_id": c.attribute_id,
                                            "attribute_value_id": c.value_id} for c in self.requirement_conditions]}


@dataclass(frozen=True)
class Rules:
    size_chart_supported: bool
    size_chart_required: bool
    package_dimensions_required: bool
    seller_sku_required: bool
    certifications: tuple[dict, ...] = ()

    def as_json(self) -> dict:
        return {"product_certifications": list(self.certifications),
                "size_chart": {"is_supported": self.size_chart_supported, "is_required": self.size_chart_required},
                "cod": {"is_supported": False}, "package_dimension": {"is_required": self.package_dimensions_required},
                "epr": {"is_required": False}, "responsible_person": {"is_required": False},
                "manufacturer": {"is_required": False}, "seller_sku": {"is_required": self.seller_sku_required},
                "fees": [], "allowed_special_product_types": []}


@dataclass
class Category:
    id: str
    parent_id: str
    name: str
    level: int
    family: str
    permission: str = "AVAILABLE"
    children: list["Category"] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def as_json(self) -> dict:
        return {"id": self.id, "parent_id": self.parent_id, "local_name": self.name, "is_leaf": self.is_leaf,
                "permission_statuses": [self.permission]}


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    authorized: bool
    is_t1: bool
    families: tuple[str, ...]  # empty: every category

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "authorized_status": "AUTHORIZED" if self.authorized else
                "UNAUTHORIEZD", "is_t1_brand": self.is_t1, "brand_status": "AVAILABLE"}


class CategoryTree:
    """The tree, its leaves' attributes and rules, and the brands, with lookups by id."""

    def __init__(self, revision: int = 0):
        self.revision = revision
        self.by_id: dict[str, Category] = {}
        self.roots: list[Category] = []
        self._build()
        self.attributes = {family: tuple(_family_attributes(family, revision)) for family in _FAMILIES}
        self.rules = {family: _family_rules(family) for family in _FAMILIES}
        self.brands = _BRANDS

    @property
    def leaves(self) -> list[Category]:
        return [c for c in self.by_id.values() if c.is_leaf]

    def chain(self, category: Category) -> list[Category]:
        chain = [category]
        while chain[-1].parent_id != "0":
            chain.append(self.by_id[chain[-1].parent_id])
        return list(reversed(chain))

    def attributes_of(self, category: Category) -> tuple[Attribute, ...]:
        return self.attributes[category.family]

    def rules_of(self, category: Category) -> Rules:
        return self.rules[category.family]

    def brand(self, brand_id: str) -> Brand | None:
        return next((b for b in self.brands if b.id == brand_id), None)

    def _build(self) -> None:
        next_id = iter(range(FIRST_CATEGORY_ID, FIRST_CATEGORY_ID + 10_000))
        family, parents = "", []
        for line in _OUTLINE.strip("\n").splitlines():
            depth = (len(line) - len(line.lstrip(" "))) // 2
            text = line.strip()
            if depth == 0:
                family, text = text.split("|", 1)
            parents = parents[:depth]
            if depth == 3:
                split, text = (part.strip() for part in text.split(":", 1))
                parents.append(next(c for c in parents[-1].children if c.name == split))
            names = [text] if depth < 2 else [n.strip() for n in text.split(";")]
            for name in names:
                permission = "AVAILABLE"
                if "!" in name:
                    name, flag = (part.strip() for part in name.split("!", 1))
                    permission = {"invite": "INVITE_ONLY", "prohibited": "PROHIBITED"}[flag]
                parent = parents[-1] if parents else None
                category = Category(id=str(next(next_id)), parent_id=parent.id if parent else "0", name=name,
                                    level=depth + 1, family=family, permission=permission)
                self.by_id[category.id] = category
                (parent.children if parent else self.roots).append(category)
            if depth < 2:
                parents.append(category)


_FAMILIES = ("apparel", "footwear", "accessories", "home", "electronics", "beauty", "sports", "toys", "pets",
             "food", "books", "automotive")

# name, type, required, multiple, customizable, values ("" = free text only)
_COMMON_SALES = (("Color", "SALES_PROPERTY", False, False, True,
                  "Black;White;Red;Blue;Green;Grey;Navy;Pink;Beige;Brown;Yellow;Purple;Orange;Multicolor"),)
_FAMILY_ATTRIBUTES = {
    "apparel": (("Material", "PRODUCT_PROPERTY", True, True, True,
                 "Cotton;Polyester;Linen;Wool;Silk;Denim;Nylon;Spandex;Viscose;Organic Cotton"),
                ("Pattern", "PRODUCT_PROPERTY", False, False, False, "Solid;Striped;Plaid;Floral;Graphic;Animal Print"),
                ("Season", "PRODUCT_PROPERTY", False, True, False, "Spring;Summer;Autumn;Winter;All Seasons"),
                ("Size", "SALES_PROPERTY", False, False, True, "XS;S;M;L;XL;XXL;3XL")),
    "footwear": (("Upper Material", "PRODUCT_PROPERTY", True, False, True, "Leather;Canvas;Mesh;Suede;Synthetic"),
                 ("Closure Type", "PRODUCT_PROPERTY", False, False, False, "Lace-up;Slip-on;Velcro;Buckle;Zipper"),
                 ("Shoe Size", "SALES_PROPERTY", False, False, True, "36;37;38;39;40;41;42;43;44;45;46")),
    "accessories": (("Material", "PRODUCT_PROPERTY", True, True, True,
                     "Cotton;Leather;Canvas;Polyester;Metal;Wool;Plastic"),
                    ("Style", "PRODUCT_PROPERTY", False, False, True, "Casual;Classic;Sporty;Vintage;Minimalist"),
                    ("Size", "SALES_PROPERTY", False, False, True, "One size;S;M;L")),
    "home": (("Material", "PRODUCT_PROPERTY", True, True, True,
              "Ceramic;Glass;Stainless Steel;Wood;Cotton;Plastic;Bamboo;Porcelain"),
             ("Room", "PRODUCT_PROPERTY", False, True, False, "Kitchen;Living Room;Bedroom;Bathroom;Office;Outdoor"),
             ("Capacity", "PRODUCT_PROPERTY", False, False, True, ""),
             ("Size", "SALES_PROPERTY", False, False, True, "Small;Medium;Large")),
    "electronics": (("Warranty Type", "PRODUCT_PROPERTY", True, False, False,
                     "No Warranty;Manufacturer Warranty;Seller Warranty"),
                    ("Contains Batteries", "PRODUCT_PROPERTY", True, False, False, "Yes;No"),
                    ("Battery Type", "PRODUCT_PROPERTY", False, False, False,
                     "Lithium-ion;Lithium Polymer;Alkaline;NiMH"),
                    ("Connectivity", "PRODUCT_PROPERTY", False, True, False, "Bluetooth;USB-C;Lightning;Wi-Fi;Wired")),
    "beauty": (("Skin Type", "PRODUCT_PROPERTY", True, True, False, "All Skin Types;Dry;Oily;Combination;Sensitive"),
               ("Volume", "PRODUCT_PROPERTY", False, False, True, ""),
               ("Shade", "SALES_PROPERTY", False, False, True, "Light;Medium;Tan;Deep")),
    "sports": (("Material", "PRODUCT_PROPERTY", True, True, True, "Rubber;Foam;Nylon;Steel;Polyester;TPE"),
               ("Sport Type", "PRODUCT_PROPERTY", False, True, False, "Yoga;Running;Cycling;Camping;Football;Gym"),
               ("Size", "SALES_PROPERTY", False, False, True, "S;M;L;XL")),
    "toys": (("Age Range", "PRODUCT_PROPERTY", True, False, False,
              "0-2 Years;3-5 Years;6-8 Years;9-12 Years;13+ Years"),
             ("Material", "PRODUCT_PROPERTY", False, True, True, "Plastic;Wood;Plush;Paper;Metal")),
    "pets": (("Pet Type", "PRODUCT_PROPERTY", True, True, False, "Dog;Cat;Small Animal;Bird"),
             ("Material", "PRODUCT_PROPERTY", False, True, True, "Cotton;Nylon;Plastic;Rubber;Wood"),
             ("Size", "SALES_PROPERTY", False, False, True, "S;M;L;XL")),
    "food": (("Shelf Life", "PRODUCT_PROPERTY", True, False, True, "3 Months;6 Months;12 Months;24 Months"),
             ("Allergen Information", "PRODUCT_PROPERTY", True, True, False,
              "None;Contains Nuts;Contains Gluten;Contains Dairy;Contains Soy"),
             ("Flavor", "SALES_PROPERTY", False, False, True, "Original;Chocolate;Vanilla;Strawberry")),
    "books": (("Language", "PRODUCT_PROPERTY", True, False, False, "English;Spanish;French;German"),
              ("Author", "PRODUCT_PROPERTY", False, False, True, "")),
    "automotive": (("Vehicle Type", "PRODUCT_PROPERTY", True, True, False, "Car;SUV;Truck;Motorcycle;Universal"),
                   ("Material", "PRODUCT_PROPERTY", False, True, True, "Plastic;Leather;Rubber;Metal;Fabric")),
}
# Mandatory attributes TikTok added later: switched on by bumping the tree's revision (see the control page).
_LATER_MANDATORY = {"apparel": "Pattern", "home": "Room", "accessories": "Style"}


def _family_attributes(family: str, revision: int) -> list[Attribute]:
    later = _LATER_MANDATORY.get(family) if revision else None
    base = _FAMILIES.index(family) * 100
    attributes, battery_yes = [], None
    for offset, (name, kind, required, multiple, custom, values) in enumerate(_FAMILY_ATTRIBUTES[family]
                                                                             + _COMMON_SALES):
        attribute_id = str(FIRST_ATTRIBUTE_ID + base + offset)
        value_base = FIRST_VALUE_ID + (base + offset) * 100
        listed = tuple(Value(str(value_base + n), v) for n, v in enumerate(values.split(";")) if v)
        conditions = ()
        if name == "Contains Batteries":
            battery_yes = Condition(attribute_id, listed[0].id)
        if name == "Battery Type" and battery_yes:
            conditions = (battery_yes,)  # required once "Contains Batteries" is Yes
        attributes.append(Attribute(attribute_id, name, kind, required or name == later, multiple, custom, listed,
                                    conditions))
    return attributes


def _family_rules(family: str) -> Rules:
    wearable = family in ("apparel", "footwear")
    certifications = ()
    if family == "toys":
        certifications = ({"id": "700101", "name": "Children's Product Certificate", "is_required": False,
                           "sample_image_url": "", "requirement_conditions": []},)
    return Rules(size_chart_supported=wearable, size_chart_required=False, package_dimensions_required=True,
                 seller_sku_required=family == "electronics", certifications=certifications)


_BRANDS = (
    Brand("7082000000000000001", "ShopSync Demo", True, False, ()),
    Brand("7082000000000000002", "Acme", True, False, ()),
    Brand("7082000000000000003", "Northwind Outfitters", True, False, ("apparel", "footwear", "accessories")),
    Brand("7082000000000000004", "Lumen Home", True, False, ("home",)),
    Brand("7082000000000000005", "Voltic", True, False, ("electronics",)),
    Brand("7082000000000000006", "Glowry", False, False, ("beauty",)),
    Brand("7082000000000000007", "Nike", False, True, ("apparel", "footwear", "sports")),
    Brand("7082000000000000008", "Apple", False, True, ("electronics",)),
    Brand("7082000000000000009", "Stanley", False, True, ("home", "sports")),
    Brand("7082000000000000010", "Trailhead", True, False, ("sports",)),
)


@lru_cache(maxsize=4)
def category_tree(revision: int = 0) -> CategoryTree:
    return CategoryTree(revision)


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    """Lower-case words with their likely singular forms, good enough to match product text to category names."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP_WORDS:
            continue
        found.add(word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            found.add(word[:-1])
            if word.endswith("es"):
                found.add(word[:-2])
            if word.endswith("ies"):
                found.add(word[:-3] + "y")
    return found


_STOP_WORDS = frozenset({"and", "the", "for", "with", "of", "s", "a", "an", "in", "on", "to"})
