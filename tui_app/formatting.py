"""How values read on screen: money, short ids, counts."""

from __future__ import annotations

from decimal import Decimal

from tui_app.services.api.models import BasketItem, CatalogueOffer, to_decimal

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "CAD": "CA$", "AUD": "A$"}


def money(amount: Decimal | str | float | None, currency: str | None) -> str:
    value = to_decimal(amount) if not isinstance(amount, Decimal) else amount
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    symbol = SYMBOLS.get(currency or "")
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {currency}" if currency else text


def short(identifier: str | None, keep: int = 8) -> str:
    """The first characters of a long id: enough to tell items apart."""
    if not identifier:
        return "—"
    return identifier if len(identifier) <= keep + 1 else identifier[:keep] + "…"


def item_unit_price(item: BasketItem) -> str:
    return money(item.price.amount, item.price.currency) if item.price else "—"


def item_line_total(item: BasketItem) -> str:
    currency = (item.lineTotal and item.lineTotal.currency) or (item.price and item.price.currency)
    return money(item.line_total, currency)


def offer_price(offer: CatalogueOffer) -> str:
    """All prices of an offer: '£9.99 / €10.99 per month'."""
    prices = offer.prices
    if not prices:
        return "—"
    amounts = " / ".join(money(p.value, p.currencyCode) for p in prices)
    first = prices[0]
    if first.type == "onetime":
        return f"{amounts} once"
    interval = first.repeat_interval_type
    count = first.repeat_interval
    if interval:
        every = f"{count} {interval}s" if count and str(count) != "1" else interval
        return f"{amounts} per {every}"
    return amounts


def quantity_limits(offer: CatalogueOffer) -> str:
    options = offer.quantity_options
    low, high, step = options.minimum_quantity, options.maximum_quantity, options.increment
    if low is None and high is None:
        return "any"
    text = f"{low or 1}–{high}" if high is not None else f"≥ {low}"
    return f"{text} step {step}" if step and step > 1 else text


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
