"""Desired price and stock from the link rules, and settings validation."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from shopsync.sync.pushes.rules import (SETTING_NAMES, LinkSettings, SettingsError, WarehouseFeed, clean_settings,
                                        desired_inventory, desired_price, desired_quantity, price_outside_guard_rails)


def settings(**values) -> LinkSettings:
    return LinkSettings(**{k: Decimal(v) if isinstance(v, str) and k not in ("price_rounding", "schedule",
                                                                             "untracked_stock")
                           else v for k, v in values.items()})


def link(**values):
    return SimpleNamespace(**{name: values.get(name) for name in SETTING_NAMES})


# ---- effective settings ------------------------------------------------------------------------------
def test_builtin_defaults():
    effective = LinkSettings.effective(link(), {})
    assert effective == LinkSettings()
    assert (effective.sync_price, effective.sync_inventory, effective.price_rounding, effective.schedule) == (
        True, True, "cents", "6h")
    assert effective.price_multiplier == 1 and effective.currency_rate == 1 and effective.inventory_cap is None


def test_link_values_win_over_integration_defaults_which_win_over_builtins():
    defaults = {"price_multiplier": "1.5", "price_rounding": "99", "inventory_buffer": 2, "schedule": "daily"}
    effective = LinkSettings.effective(link(price_rounding="whole", location_ids=[3, 1]), defaults)
    assert effective.price_multiplier == Decimal("1.5")
    assert effective.price_rounding == "whole"
    assert effective.inventory_buffer == 2
    assert effective.schedule == "daily"
    assert effective.location_ids == (3, 1)
    assert effective.sync_price is True


def test_link_false_flag_is_not_mistaken_for_unset():
    effective = LinkSettings.effective(link(sync_price=False, inventory_buffer=0), {"inventory_buffer": 5})
    assert effective.sync_price is False
    assert effective.inventory_buffer == 0


# ---- validation --------------------------------------------------------------------------------------
def test_clean_settings_parses_form_text():
    cleaned = clean_settings({"sync_price": "no", "price_multiplier": " 1.25 ", "price_rounding": ".99",
                              "location_ids": "12, 7,12", "inventory_cap": "", "schedule": "Hourly"})
    assert cleaned == {"sync_price": False, "price_multiplier": Decimal("1.25"), "price_rounding": "99",
                       "location_ids": [7, 12], "inventory_cap": None, "schedule": "hourly"}


def test_clean_settings_lists_every_problem_clearly():
    with pytest.raises(SettingsError) as raised:
        clean_settings({"price_multiplier": "abc", "inventory_buffer": "-1", "price_rounding": "0.9",
                        "currency_rate": "0", "colour": "red", "schedule": "weekly", "sync_inventory": "maybe"})
    errors = raised.value.errors
    assert errors["price_multiplier"] == "must be a number, not 'abc'"
    assert errors["inventory_buffer"] == "must be a whole number of units, not '-1'"
    assert "none, cents, 99, 95, whole" in errors["price_rounding"]
    assert errors["currency_rate"] == "must be more than 0"
    assert errors["colour"] == "is not a link setting"
    assert "off, hourly, 6h, daily" in errors["schedule"]
    assert errors["sync_inventory"] == "must be yes or no, not 'maybe'"


@pytest.mark.parametrize("raw", ["0", "-2", "101", "NaN", "Infinity"])
def test_multiplier_must_be_positive_and_sane(raw):
    with pytest.raises(SettingsError):
        clean_settings({"price_multiplier": raw})


def test_full_clean_fills_unset_fields_with_none():
    assert set(clean_settings({}, partial=False)) == set(SETTING_NAMES)


# ---- price -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("price, rounding, expected", [
    ("10.00", "cents", "10.00"),
    ("10.005", "cents", "10.01"),
    ("10.004", "cents", "10.00"),
    ("10.009", "none", "10.00"),
    ("12.30", "99", "12.99"),
    ("12.99", "99", "12.99"),
    ("13.00", "99", "13.99"),
    ("12.994", "99", "12.99"),
    ("12.996", "99", "13.99"),
    ("12.30", "95", "12.95"),
    ("12.96", "95", "13.95"),
    ("12.49", "whole", "12.00"),
    ("12.50", "whole", "13.00"),
    ("0.20", "99", "0.99"),
])
def test_rounding_rules(price, rounding, expected):
    assert desired_price(Decimal(price), settings(price_rounding=rounding), "USD") == Decimal(expected)
    assert str(desired_price(Decimal(price), settings(price_rounding=rounding), "USD")) == expected


def test_multiplier_offset_and_currency_rate_apply_before_rounding():
    rule = settings(price_multiplier="1.2", price_offset="2", currency_rate="0.79", price_rounding="99")
    # 20 x 1.2 x 0.79 + 2 = 20.96 -> 20.99
    assert desired_price(Decimal("20"), rule, "GBP") == Decimal("20.99")


def test_currency_conversion_to_a_currency_without_minor_units():
    rule = settings(currency_rate="151.37")
    assert desired_price(Decimal("19.99"), rule, "JPY") == Decimal("3026")
    assert str(desired_price(Decimal("19.99"), rule, "JPY")) == "3026"


def test_ninety_nine_ending_in_yen_rounds_up_to_a_whole_amount():
    assert desired_price(Decimal("1234.2"), settings(price_rounding="99"), "JPY") == Decimal("1235")


@pytest.mark.parametrize("rounding, currency, floor", [
    ("cents", "USD", "0.01"), ("none", "USD", "0.01"), ("whole", "USD", "1.00"), ("99", "USD", "0.99"),
    ("95", "USD", "0.95"), ("cents", "JPY", "1"),
])
def test_price_never_drops_below_the_smallest_amount(rounding, currency, floor):
    rule = settings(price_offset="-50", price_rounding=rounding)
    assert str(desired_price(Decimal("10"), rule, currency)) == floor
    assert str(desired_price(Decimal("0.001"), settings(price_rounding=rounding), currency)) == floor


# ---- quantity ----------------------------------------------------------------------------------------
def test_quantity_sums_every_location_by_default():
    assert desired_quantity({1: 5, 2: 7}, LinkSettings()) == 12


def test_quantity_counts_only_the_chosen_locations():
    rule = settings(location_ids=(2, 9))
    assert desired_quantity({1: 5, 2: 7, 3: 100}, rule) == 7


def test_buffer_larger_than_stock_gives_zero_not_negative():
    assert desired_quantity({1: 3}, settings(inventory_buffer=5)) == 0
    assert desired_quantity({1: 8}, settings(inventory_buffer=5)) == 3


def test_cap_limits_what_tiktok_sees():
    assert desired_quantity({1: 50}, settings(inventory_cap=20)) == 20
    assert desired_quantity({1: 50}, settings(inventory_cap=0)) == 0
    assert desired_quantity({1: 50}, settings(inventory_buffer=40, inventory_cap=20)) == 10


def test_oversold_location_reduces_the_total():
    assert desired_quantity({1: -4, 2: 10}, LinkSettings()) == 6
    assert desired_quantity({1: -4}, LinkSettings()) == 0


def test_no_levels_means_zero():
    assert desired_quantity({}, LinkSettings()) == 0


# ---- warehouses, untracked variants, price guard rails (issue #14) ---------------------------------------
LEVELS = {1: 4, 2: 5}


def test_each_warehouse_gets_its_mapped_locations_less_buffer_and_held_units():
    feeds = [WarehouseFeed("main"), WarehouseFeed("east", (2,)), WarehouseFeed("spare", ())]
    wanted = desired_inventory(LEVELS, LEVELS, settings(inventory_buffer=1), feeds, held={"east": 2})
    assert wanted == {"main": 8, "east": 2, "spare": 0}


def test_the_default_warehouse_follows_the_links_own_locations():
    wanted = desired_inventory({1: 4}, LEVELS, settings(location_ids=(2,)), [WarehouseFeed("main")])
    assert wanted == {"main": 5}  # a chosen location counts even when inactive; else only active ones


def test_variants_sold_without_counting_stock_get_the_fixed_quantity_or_nothing():
    feeds = [WarehouseFeed("main"), WarehouseFeed("east", (2,))]
    assert desired_inventory({}, {}, settings(), feeds, sells_without_stock=True) == {"main": 100, "east": 0}
    assert desired_inventory({}, {}, settings(untracked_quantity=7), feeds, sells_without_stock=True) == {
        "main": 7, "east": 0}
    assert desired_inventory(LEVELS, LEVELS, settings(untracked_stock="leave"), feeds,
                             sells_without_stock=True) is None


def test_guard_rails_hold_a_big_drop_or_a_price_under_the_minimum():
    assert price_outside_guard_rails(Decimal("0.99"), Decimal("14.00"), settings(), "GBP") == (
        "0.99 GBP is 93% below the price on TikTok now (14.00 GBP); the most a price may drop without confirmation "
        "is 50%")  # every amount with its currency code
    assert price_outside_guard_rails(Decimal("7.00"), Decimal("14.00"), settings(), "USD") is None  # exactly 50 %
    assert price_outside_guard_rails(Decimal("6.99"), Decimal("14.00"), settings(), "USD") is not None
    assert price_outside_guard_rails(Decimal("6.99"), Decimal("14.00"), settings(max_price_drop="100"), "USD") is None
    assert price_outside_guard_rails(Decimal("9.00"), None, settings(min_price="10"), "USD") == (
        "9.00 USD is below the minimum price of 10.00 USD")
    assert price_outside_guard_rails(Decimal("30.00"), Decimal("14.00"), settings(min_price="10"), "USD") is None


def test_new_settings_are_validated():
    assert clean_settings({"untracked_stock": "Leave", "untracked_quantity": "25", "min_price": "4.50",
                           "max_price_drop": "30%"}) == {
        "untracked_stock": "leave", "untracked_quantity": 25, "min_price": Decimal("4.50"),
        "max_price_drop": Decimal("30")}
    with pytest.raises(SettingsError) as refused:
        clean_settings({"untracked_stock": "zero", "max_price_drop": "150", "min_price": "-1"})
    assert set(refused.value.errors) == {"untracked_stock", "max_price_drop", "min_price"}
