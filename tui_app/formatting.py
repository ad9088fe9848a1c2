"""How values read on screen: text from outside the app, money, short ids, counts.

Tenant data is data, never markup. Every string that came from outside the
app (a tenant's reply, a file, what the user typed) reaches the screen through
``shown`` (a str, for a sentence or a notification sent with markup=False),
``outside`` (a rich ``Text``) or ``cell`` (a table cell), never as a str a
widget would read as markup: ``[/b]`` in an offer name is drawn as ``[/b]``,
not parsed (and failed on), and ``[limited]`` does not vanish. Characters
that would act on the terminal rather than be drawn (escape codes, other
C0/C1 controls, line separators, bidi overrides) are drawn as visible
stand-ins, and where a value must stay on one line (a table cell, a tree
node) a very long one is cut with "…". Where only markup is taken (the
command palette's help, a Rich table's str cells) the shown text is escaped
with ``markup.escape``. The other helpers here (``money``, ``short``,
``offer_price``) return text already shown that way.
"""

from __future__ import annotations

from decimal import Decimal

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from tui_app.services.api.models import BasketItem, CatalogueOffer, to_decimal

# --------------------------------------------------------------------------- text from outside

# Bidi embeddings, overrides and isolates reorder what follows them on screen.
_BIDI = range(0x202A, 0x202F), range(0x2066, 0x206A)
_REPLACEMENT = "\ufffd"
ELLIPSIS = "…"
CELL_MAX = 80  # a table cell or tree node of outside text: at most this many cells
NAME_MAX = 60  # an offer name quoted in a sentence, a dialog or a notification


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F or any(code in block for block in _BIDI):
        return _REPLACEMENT
    if char in "\u2028\u2029":
        return "\u2424"  # ␤
    return char


_TABLE = {
    code: _stand_in(chr(code))
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *_BIDI[0], *_BIDI[1]]
}


def visible(text: str) -> str:
    """``text`` with every character that would act on the terminal (rather
    than be drawn) replaced by a one-cell stand-in; same length as ``text``,
    and ``visible(visible(text)) == visible(text)``."""
    if text.isprintable():  # every character it replaces is unprintable: none here
        return text  # (checked at C speed; translate looks up each character)
    return text.translate(_TABLE)


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, ending in "…" when it was cut."""
    if len(text) * 2 <= width or cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + ELLIPSIS


def shown(value: object, width: int | None = None) -> str:
    """A value from outside as it is drawn: ``visible``, and with ``width``
    one line of at most ``width`` cells. None is shown as nothing."""
    if value is None:
        return ""
    text = visible(value if isinstance(value, str) else str(value))
    return clip(text, width) if width is not None else text


def outside(value: object, style: str = "", *, width: int | None = None,
            justify: str | None = None) -> Text:
    """A value from outside as a rich ``Text`` (never markup): see ``shown``."""
    return Text(shown(value, width), style=style, justify=justify)  # type: ignore[arg-type]


class Cell(Text):
    """One line of a table, from outside: drawn as a str cell of the same text
    would be (``DataTable`` reads a str cell as markup, so it cannot be one),
    and equal to that str, so code reading a table back compares as before."""

    __hash__ = None  # type: ignore[assignment]  # as Text's: it is mutable

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.plain == other
        return super().__eq__(other)


def cell(value: object, style: str = "", *, width: int = CELL_MAX,
         justify: str | None = None) -> Cell:
    """A value from outside as a table cell: see ``shown`` and ``Cell``."""
    return Cell(shown(value, width), style=style, justify=justify,  # type: ignore[arg-type]
                no_wrap=True, end="")


def visible_text(text: Text) -> Text:
    """A styled ``Text`` (a highlighted body, say) with its characters made
    ``visible``; the styles stay where they were (one character for one)."""
    plain = text.plain
    safe = visible(plain)
    if safe == plain:
        return text
    copy = text.copy()
    copy.plain = safe
    return copy


# --------------------------------------------------------------------------- values

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "CAD": "CA$", "AUD": "A$"}
CURRENCY_MAX = 12  # an unknown currency "code" from a tenant is cut to this


def heading(label: str) -> Text:
    """A table's column heading, as the text it is: DataTable reads a str
    heading as console markup, and the first one loads Rich's table of
    emoji codes (~0.6 MiB the app never shows)."""
    return Text(label)


def money(amount: Decimal | str | float | None, currency: str | None) -> str:
    value = to_decimal(amount) if not isinstance(amount, Decimal) else amount
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    symbol = SYMBOLS.get(currency or "")
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {shown(currency, CURRENCY_MAX)}" if currency else text


def short(identifier: str | None, keep: int = 8) -> str:
    """The first characters of a long id: enough to tell items apart."""
    if not identifier:
        return "—"
    return shown(identifier if len(identifier) <= keep + 1 else identifier[:keep] + "…")


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
    interval = shown(first.repeat_interval_type, CURRENCY_MAX)
    count = shown(first.repeat_interval, CURRENCY_MAX)
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
