"""The offer catalogue as a table: one row per offer or add-on, filtered in
memory as the user types, with the highlighted offer always at hand."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from tui_app.formatting import cell, clip, offer_price, quantity_limits
from tui_app.services.api.models import CatalogueOffer

COLUMNS = ("Name", "Type", "Price", "Term", "Quantity", "Countries", "Add-ons")
COUNTRIES_SHOWN = 4
ADD_ONS_WIDTH = 40


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
    offer under the cursor (None when no row matches)."""

    DEFAULT_CSS = """
    CatalogueTable { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.offers: list[CatalogueOffer] = []
        self.shown: list[CatalogueOffer] = []
        self.filter_text = ""

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def show(self, offers: Sequence[CatalogueOffer], filter_text: str | None = None) -> None:
        """Redraw with these offers (and a new filter), keeping the cursor on
        the offer it was on when that offer is still listed."""
        keep = self.highlighted
        self.offers = list(offers)
        if filter_text is not None:
            self.filter_text = filter_text
        self.shown = [o for o in self.offers if matches(o, self.filter_text)]
        self.clear()
        for offer in self.shown:
            self.add_row(*self.cells(offer), key=row_key(offer))
        if keep is not None and keep in self.shown:
            self.move_cursor(row=self.shown.index(keep), animate=False)

    def cells(self, offer: CatalogueOffer) -> list[Text]:
        """One row: every cell is the tenant's text, so Text (a str would be
        read as markup), one line each."""
        values = (
            offer.display_name,
            type_cell(offer),
            offer_price(offer),
            offer.data.attributes.term__limio or "—",
            quantity_limits(offer),
            countries_cell(offer),
            add_ons_cell(offer, self.offers),
        )
        return [cell(value) for value in values]

    @property
    def highlighted(self) -> CatalogueOffer | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]
