"""The offer catalogue as a table: one row per offer or add-on, filtered in
memory as the user types, with the highlighted offer always at hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from tui_app.formatting import (
    CELL_MAX,
    cell,
    clip,
    heading,
    money,
    offer_price,
    quantity_limits,
)
from tui_app.services.api.models import CatalogueOffer

COLUMNS = ("Name", "Type", "Price", "Term", "Quantity", "Countries", "Add-ons")
COUNTRIES_SHOWN = 4
ADD_ONS_WIDTH = 40
# When the full row does not fit: a shorter set of columns, each cell whole
# (the highlighted offer's details are spelt out under "Pick an offer").
COMPACT_COLUMNS = ("Name", "Type", "Price", "Term", "Qty", "Countries")
COMPACT_DROP = ("Countries", "Term", "Qty", "Type")  # the first to go when narrower
NAME_MIN = 12
PADDING = 2  # a column's cell padding, both sides


@dataclass(frozen=True)
class Layout:
    """How a row is laid out: which columns, every price or the first one and
    how many more, the first countries or only the first and how many more."""

    columns: tuple[str, ...]
    all_prices: bool
    more_countries: bool


# Widest first; the first that fits its width is used. The last one also drops
# columns and cuts long names until it fits: nothing ever scrolls sideways.
LAYOUTS = (
    Layout(COLUMNS, all_prices=True, more_countries=True),
    Layout(COMPACT_COLUMNS, all_prices=True, more_countries=True),
    Layout(COMPACT_COLUMNS, all_prices=True, more_countries=False),
    Layout(COMPACT_COLUMNS, all_prices=False, more_countries=False),
)


def first_price(offer: CatalogueOffer) -> str:
    """The offer's first price, whole, and how many others: '£9.99 +4 more'."""
    prices = offer.prices
    if not prices:
        return "—"
    first = money(prices[0].value, prices[0].currencyCode)
    return f"{first} +{len(prices) - 1} more" if len(prices) > 1 else first


def countries_short(offer: CatalogueOffer) -> str:
    codes = offer.countries
    if not codes:
        return "all"
    return f"{codes[0]} +{len(codes) - 1}" if len(codes) > 1 else codes[0]


def countries_cell(offer: CatalogueOffer) -> str:
    """'all' when the offer is sold everywhere, else its first codes and a count."""
    codes = offer.countries
    if not codes:
        return "all"
    shown = ", ".join(codes[:COUNTRIES_SHOWN])
    rest = len(codes) - COUNTRIES_SHOWN
    return f"{shown} +{rest}" if rest > 0 else shown


def parents_of(add_on: CatalogueOffer, offers: Sequence[CatalogueOffer]) -> list[CatalogueOffer]:
    """The offers that cross-sell this add-on."""
    found = []
    for offer in offers:
        cross = offer.data.attributes.cross_sell_addons__limio
        if cross and any(link.id == add_on.id for link in cross.items):
            found.append(offer)
    return found


def add_ons_cell(offer: CatalogueOffer, offers: Sequence[CatalogueOffer]) -> str:
    if offer.is_add_on:
        parents = [parent.display_name for parent in parents_of(offer, offers)]
        return clip(f"add-on for: {', '.join(parents) or 'no offer'}", ADD_ONS_WIDTH)
    cross = offer.data.attributes.cross_sell_addons__limio
    if cross is None or not cross.items:
        return "—"
    by_id = {o.id: o for o in offers}
    names = []
    for link in cross.items:
        known = by_id.get(link.id or "")
        names.append(
            known.display_name if known else (link.path or link.id or "?").rsplit("/", 1)[-1]
        )
    return clip(", ".join(names), ADD_ONS_WIDTH)


def add_ons_text(offer: CatalogueOffer, offers: Sequence[CatalogueOffer]) -> str:
    """Every add-on of an offer by name (or the offers an add-on is for), uncut."""
    if offer.is_add_on:
        parents = [parent.display_name for parent in parents_of(offer, offers)]
        return f"add-on for: {', '.join(parents) or 'no offer'}"
    cross = offer.data.attributes.cross_sell_addons__limio
    if cross is None or not cross.items:
        return "add-ons: none"
    by_id = {o.id: o for o in offers}
    names = []
    for link in cross.items:
        known = by_id.get(link.id or "")
        names.append(
            known.display_name if known else (link.path or link.id or "?").rsplit("/", 1)[-1]
        )
    return f"add-ons: {', '.join(names)}"


def type_cell(offer: CatalogueOffer) -> str:
    return "add-on" if offer.is_add_on else "offer"


def matches(offer: CatalogueOffer, text: str) -> bool:
    """Every word of ``text`` appears in the offer's name, path or id."""
    haystack = " ".join((offer.display_name, offer.path or "", offer.id)).casefold()
    return all(word in haystack for word in text.casefold().split())


def row_key(offer: CatalogueOffer) -> str:
    return f"{offer.id}@{offer.version or ''}"


class CatalogueTable(DataTable):
    """Shows ``offers`` narrowed by ``filter_text``; ``highlighted`` is the
    offer under the cursor (None when no row matches).

    Laid out for its width (see LAYOUTS): the full row when it fits, else
    fewer columns with every price whole, else the first price and how many
    others with long names cut. Nothing scrolls sideways, and no cell is ever
    cut mid-number."""

    DEFAULT_CSS = """
    CatalogueTable { height: 1fr; }
    /* Focus shows in every theme: the header takes the accent colour. */
    CatalogueTable:focus > .datatable--header { background: $accent; color: $text; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.offers: list[CatalogueOffer] = []
        self.shown: list[CatalogueOffer] = []
        self.filter_text = ""
        self.row_layout: Layout = LAYOUTS[0]
        self.name_width: int | None = None  # the width names are cut to (None: not cut)

    def on_mount(self) -> None:
        self.add_columns(*map(heading, COLUMNS))

    def on_resize(self, _event: events.Resize) -> None:
        keep = self.highlighted
        if self._relayout():
            self._fill(keep)

    # ------------------------------------------------------------- layout

    @property
    def columns_shown(self) -> tuple[str, ...]:
        return self.row_layout.columns

    def _natural(self, column: str, layout: Layout) -> int:
        """The width of a column with every cell whole, padding included."""
        values = [cell(self._value(column, offer, layout)).plain for offer in self.offers]
        return max([cell_len(column), *(cell_len(value) for value in values)]) + PADDING

    def _layout(self) -> tuple[Layout, int | None]:
        room = self.size.width - self.styles.scrollbar_size_vertical
        if room <= 0 or not self.offers:
            return self.row_layout, self.name_width
        for layout in LAYOUTS[:-1]:
            if sum(self._natural(column, layout) for column in layout.columns) <= room:
                return layout, None
        narrowest = LAYOUTS[-1]
        columns = list(narrowest.columns)
        widths = {column: self._natural(column, narrowest) for column in columns}
        for drop in COMPACT_DROP:
            others = sum(widths[c] for c in columns if c != "Name")
            if min(widths["Name"], NAME_MIN + PADDING) + others <= room:
                break
            columns.remove(drop)
        others = sum(widths[c] for c in columns if c != "Name")
        name = max(room - others, NAME_MIN + PADDING)
        layout = Layout(tuple(columns), all_prices=False, more_countries=False)
        return layout, (name - PADDING if name < widths["Name"] else None)

    def _relayout(self) -> bool:
        """Choose the layout for the width; True when it changed."""
        chosen = self._layout()
        if chosen == (self.row_layout, self.name_width):
            return False
        self.row_layout, self.name_width = chosen
        self.clear(columns=True)
        self.add_columns(*map(heading, self.row_layout.columns))
        return True

    def _value(self, column: str, offer: CatalogueOffer, layout: Layout) -> str:
        if column == "Name":
            return offer.display_name
        if column == "Type":
            return type_cell(offer)
        if column == "Price":
            return offer_price(offer) if layout.all_prices else first_price(offer)
        if column == "Term":
            return offer.data.attributes.term__limio or "—"
        if column in ("Quantity", "Qty"):
            return quantity_limits(offer)
        if column == "Countries":
            return countries_cell(offer) if layout.more_countries else countries_short(offer)
        return add_ons_cell(offer, self.offers)

    # ------------------------------------------------------------- rows

    def show(self, offers: Sequence[CatalogueOffer], filter_text: str | None = None) -> None:
        """Redraw with these offers (and a new filter), keeping the cursor on
        the offer it was on when that offer is still listed."""
        keep = self.highlighted
        self.offers = list(offers)
        if filter_text is not None:
            self.filter_text = filter_text
        self._relayout()
        self._fill(keep)

    def _fill(self, keep: CatalogueOffer | None) -> None:
        self.shown = [o for o in self.offers if matches(o, self.filter_text)]
        self.clear()
        for offer in self.shown:
            self.add_row(*self.row_cells(offer), key=row_key(offer))
        if keep is not None and keep in self.shown:
            self.move_cursor(row=self.shown.index(keep), animate=False)

    def row_cells(self, offer: CatalogueOffer) -> list[Text]:
        """The row as laid out for the width: every cell is the tenant's
        text, so Text (a str would be read as markup), one line each."""
        return [
            cell(self._value(column, offer, self.row_layout),
                 width=self.name_width or CELL_MAX if column == "Name" else CELL_MAX)
            for column in self.row_layout.columns
        ]

    def cells(self, offer: CatalogueOffer) -> list[Text]:
        """The full row, as the widest layout shows it."""
        return [cell(self._value(column, offer, LAYOUTS[0])) for column in COLUMNS]

    @property
    def highlighted(self) -> CatalogueOffer | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]
