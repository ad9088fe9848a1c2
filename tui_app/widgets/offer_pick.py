"""What a pick is, apart from the widgets that show it: the offer the pick
fields apply to (the highlighted catalogue row, or an id typed by hand) and
whether a typed quantity is one the request, and the offer, accept. Shared by
the Offers screen and the quantity dialog so both say the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from tui_app.formatting import NAME_MAX, short, shown
from tui_app.services.api.countries import quoted
from tui_app.services.api.models import (
    MAX_QUANTITY,
    CatalogueOffer,
    OfferPayload,
    describe_validation_error,
    trim_spaces,
)


@dataclass(frozen=True)
class Target:
    """The offer the pick fields apply to: the highlighted catalogue row, or
    the id typed by hand (which wins while it is filled in)."""

    offer_id: str
    version: str
    offer: CatalogueOffer | None  # None: the catalogue does not list it
    manual: bool

    @property
    def name(self) -> str:
        """The offer as shown in a sentence (its name is the tenant's text)."""
        return shown(self.offer.display_name, NAME_MAX) if self.offer else short(self.offer_id, 12)

    @property
    def outdated(self) -> bool:
        return self.offer is not None and self.version != (self.offer.version or "")


def resolve_target(
    manual_id: str,
    manual_version: str,
    highlighted: CatalogueOffer | None,
    lookup: Callable[[str], CatalogueOffer | None],
) -> tuple[Target | None, str | None]:
    """The target of a pick, or why there is nothing to pick. A typed id wins;
    ``manual_id`` empty means the highlighted row."""
    if manual_id:
        offer = lookup(manual_id)
        version = manual_version or (offer.version if offer else "") or ""
        if not version:
            return None, "✗ version: required for an offer the catalogue does not list"
        target = Target(manual_id, version, offer, manual=True)
    else:
        if highlighted is None:
            return None, "Highlight an offer in the catalogue, or type an offer id."
        target = Target(highlighted.id, highlighted.version or "", highlighted, manual=False)
    try:  # the request's own rules, so a pick can always become an order item
        OfferPayload(id=target.offer_id, version=target.version)
    except ValidationError as exc:
        names = {"id": "offer id", "version": "version"}
        return None, "\n".join(
            f"✗ {names.get(where, where)}: {what}"
            for where, _, what in (line.partition(": ") for line in describe_validation_error(exc))
        )
    return target, None


def parse_quantity(typed: str) -> tuple[int | None, str | None]:
    """A whole number the request accepts, or why ``typed`` is not one."""
    text = trim_spaces(typed)
    # ASCII digits only: str.isdigit() also takes "³" and "٣", and int() reads
    # "1_000" and "+5": none of which anybody would check on screen.
    if not (text.isascii() and text.isdigit()):
        return None, f"{quoted(text)} is not a whole number"
    if len(text.lstrip("0")) > len(str(MAX_QUANTITY)):
        return None, f"at most {MAX_QUANTITY:,}"  # and int() is spared a huge paste
    quantity = int(text)
    if quantity < 1:
        return None, "at least 1"
    if quantity > MAX_QUANTITY:
        return None, f"at most {MAX_QUANTITY:,}"
    return quantity, None


def default_quantity(offer: CatalogueOffer | None) -> int:
    options = offer.quantity_options if offer else None
    return (options and (options.quantity or options.minimum_quantity)) or 1
