"""What a basket costs and what is wrong with it.

Prices and totals
    The basket's currency follows its country (GB → GBP, US → USD, eurozone →
    EUR, CA → CAD, AU → AUD, ...); for a country without a known currency it is
    the currency of the first item's first price. A line's unit price is the
    offer version's price in that currency, else its first price. Amounts are
    strings with two decimals, computed with Decimal; the totals add up only
    the lines priced in the basket's currency. No tax is charged.

Validation rules (``invalid.validationErrors``, the sandbox's documented field
beside ``blockedProducts``; every entry is ``{code, message, orderItemId,
offerId}``, and a *blocking* rule also lists the offer id in
``blockedProducts``):

``empty_basket``
    The basket has no items. Not blocking (there is no product to block).
``offer_unavailable`` (blocking)
    The item's offer is no longer in the catalogue at all.
``country_not_allowed`` (blocking)
    The offer's ``allowed_countries__limio`` exclude the basket's country.
``outdated_version`` (blocking)
    The item holds an earlier version of the offer than the published one;
    ordering an outdated version fails on a real tenant.
``addon_without_offer`` (blocking)
    An add-on none of whose parent offers (the offers that list it in
    ``cross_sell_addons__limio``) is in the basket.
``quantity_out_of_range``
    The quantity is outside the offer's ``default_quantity_options__limio``
    (minimum, maximum, increment). Reported, not blocking.
``currency_mismatch``
    The offer has no price in the basket's currency, so the line is left out
    of the totals. Reported, not blocking.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tui_app.sandbox.catalogue import Catalogue, Entry
from tui_app.sandbox.db import Basket, Item
from tui_app.services.api.models import CataloguePrice, QuantityOptions

# ISO 3166-1 alpha-2, the officially assigned codes.
_ISO_3166 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRY_CODES = frozenset(_ISO_3166.split())

# Euro members, their outermost regions and the microstates that use the euro.
_EURO = (
    "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK "
    "AD MC SM VA ME AX BL GF GP MF MQ PM RE YT"
)
CURRENCY_BY_COUNTRY: dict[str, str] = {code: "EUR" for code in _EURO.split()} | {
    "GB": "GBP", "IM": "GBP", "JE": "GBP", "GG": "GBP",
    "US": "USD", "PR": "USD", "GU": "USD", "VI": "USD", "AS": "USD", "MP": "USD",
    "CA": "CAD", "AU": "AUD", "NZ": "NZD", "CH": "CHF", "LI": "CHF",
    "SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "PL": "PLN", "CZ": "CZK",
    "HU": "HUF", "RO": "RON", "BG": "BGN", "JP": "JPY", "IN": "INR", "ZA": "ZAR",
    "SG": "SGD", "HK": "HKD", "BR": "BRL", "MX": "MXN",
}  # fmt: skip

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}
_CENT = Decimal("0.01")

# Which validation codes block the offer (listed in blockedProducts).
BLOCKING = frozenset(
    {"offer_unavailable", "country_not_allowed", "outdated_version", "addon_without_offer"}
)


# ------------------------------------------------------------------------ prices


def amount(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def money_text(value: Decimal, currency: str | None) -> str:
    symbol = _SYMBOLS.get(currency or "")
    return f"{symbol}{amount(value)}" if symbol else f"{currency or ''} {amount(value)}".strip()


def price_summary(price: CataloguePrice) -> str:
    """A line such as "£9.99 per month", "€119.00 per year" or "£12.00 one-off"."""
    text = money_text(price.amount or Decimal(0), price.currencyCode)
    if price.type == "onetime":
        return f"{text} one-off"
    unit = price.repeat_interval_type or "month"
    try:
        every = int(price.repeat_interval or 1)
    except ValueError:
        every = 1
    return f"{text} per {unit}" if every == 1 else f"{text} every {every} {unit}s"


def unit_price(entry: Entry, currency: str | None) -> CataloguePrice | None:
    prices = [price for price in entry.offer.prices if price.amount is not None]
    for price in prices:
        if price.currencyCode == currency:
            return price
    return prices[0] if prices else None


def basket_currency(country: str, items: list[Item], catalogue: Catalogue) -> str | None:
    if country in CURRENCY_BY_COUNTRY:
        return CURRENCY_BY_COUNTRY[country]
    for item in items:
        entry = catalogue.version(item.offer_id, item.offer_version)
        price = unit_price(entry, None) if entry else None
        if price is not None:
            return price.currencyCode
    return None


# ------------------------------------------------------------------------ views


def order_view(basket: Basket, items: list[Item], catalogue: Catalogue) -> dict[str, Any]:
    """The order as initiate, update and validate return it."""
    currency = basket_currency(basket.country, items, catalogue)
    total = Decimal(0)
    lines = []
    for item in items:
        line = _item_view(item, catalogue.version(item.offer_id, item.offer_version), currency)
        if line["lineTotal"] and line["lineTotal"]["currency"] == currency:
            total += Decimal(line["lineTotal"]["amount"])
        lines.append(line)
    return {
        "checkoutId": basket.external_id,
        "external_id": basket.external_id,
        "country": basket.country,
        "source": basket.source,
        "order_type": basket.order_type,
        "tracking": basket.tracking,
        "currency": currency,
        "orderItems": lines,
        "orderSubtotal": amount(total),
        "orderTotal": amount(total),
        "total": {"amount": amount(total), "currency": currency},
    }


def _item_view(item: Item, entry: Entry | None, currency: str | None) -> dict[str, Any]:
    offer: dict[str, Any] = {"id": item.offer_id, "version": item.offer_version}
    price = unit_price(entry, currency) if entry else None
    view: dict[str, Any] = {
        "id": item.id,
        "quantity": item.quantity,
        "type": item.type,
        "offer": offer,
        "price": None,
        "lineTotal": None,
        "addOns": [],
        "products": [],
    }
    if entry is None:
        offer.update(name=None, path=None)
        return view
    offer.update(name=entry.name, path=entry.offer.path)
    view["products"] = [
        {
            "path": product.path,
            "name": product.attributes.display_name__limio if product.attributes else None,
        }
        for product in entry.offer.data.products
    ]
    if price is not None and price.amount is not None:
        view["price"] = {
            "currency": price.currencyCode,
            "amount": amount(price.amount),
            "summary": price_summary(price),
        }
        view["lineTotal"] = {
            "currency": price.currencyCode,
            "amount": amount(price.amount * item.quantity),
        }
    return view


# ------------------------------------------------------------------------ validation


def validate(basket: Basket, items: list[Item], catalogue: Catalogue) -> dict[str, Any]:
    """``invalid``: blocked offer ids and every problem found, item by item."""
    problems: list[dict[str, Any]] = []

    def report(code: str, message: str, item: Item | None = None) -> None:
        problems.append(
            {
                "code": code,
                "message": message,
                "orderItemId": item.id if item else None,
                "offerId": item.offer_id if item else None,
            }
        )

    if not items:
        report("empty_basket", "The basket has no items.")
    currency = basket_currency(basket.country, items, catalogue)
    in_basket = {item.offer_id for item in items}
    for item in items:
        entry = catalogue.version(item.offer_id, item.offer_version)
        current = catalogue.current(item.offer_id)
        if current is None or entry is None:
            report(
                "offer_unavailable",
                f"Offer {item.offer_id} (version {item.offer_version[:8]}) is not in the "
                "catalogue any more.",
                item,
            )
            continue
        name = current.name
        countries = entry.offer.countries
        if countries and basket.country not in countries:
            report(
                "country_not_allowed",
                f"{name} is not sold in {basket.country} (sold in {', '.join(countries)})",
                item,
            )
        if not entry.current:
            report(
                "outdated_version",
                f"{name} is an outdated version ({item.offer_version[:8]}); "
                f"the current version is {current.version[:8]}",
                item,
            )
        if entry.offer.is_add_on:
            parents = catalogue.parents_of(item.offer_id)
            if not any(parent.id in in_basket for parent in parents):
                names = ", ".join(parent.name for parent in parents) or "none"
                report(
                    "addon_without_offer",
                    f"{name} is an add-on and needs one of its offers in the basket ({names})",
                    item,
                )
        options = entry.offer.quantity_options
        if options.problem_with(item.quantity) is not None:
            report(
                "quantity_out_of_range",
                f"{name} cannot be bought {item.quantity} at a time: "
                f"the quantity must be {_allowed_range(options)}",
                item,
            )
        prices = [p.currencyCode for p in entry.offer.prices if p.currencyCode]
        if currency is not None and currency not in prices:
            report(
                "currency_mismatch",
                f"{name} has no {currency} price (priced in {', '.join(prices) or 'nothing'})",
                item,
            )

    blocked: list[str] = []
    for problem in problems:
        offer_id = problem["offerId"]
        if problem["code"] in BLOCKING and offer_id and offer_id not in blocked:
            blocked.append(offer_id)
    return {"blockedProducts": blocked, "validationErrors": problems}


def _allowed_range(options: QuantityOptions) -> str:
    low, high, step = options.minimum_quantity, options.maximum_quantity, options.increment
    if low is not None and high is not None:
        text = f"{low}" if low == high else f"from {low} to {high}"
    elif low is not None:
        text = f"at least {low}"
    elif high is not None:
        text = f"at most {high}"
    else:
        text = "any amount"
    if step and step > 1:
        text += f" in steps of {step}"
    return text
