"""Baskets of N order lines, every line within its offer's limits, all sold in GB."""

from __future__ import annotations

import uuid
from typing import Any

# Offers sold in GB whose quantity limits are 1-10 or wider; cycled line by line.
OFFER_NAMES = ("Digital Monthly", "Digital Annual", "Premium Digital Monthly",
               "Gift Digital Annual")


def pick_offers(offers: list[Any]) -> list[Any]:
    """The catalogue offers the baskets are made of, in OFFER_NAMES order."""
    by_name = {offer.display_name: offer for offer in offers}
    missing = [name for name in OFFER_NAMES if name not in by_name]
    if missing:
        raise LookupError(f"the catalogue has no offer named {', '.join(missing)}")
    return [by_name[name] for name in OFFER_NAMES]


def line_quantity(index: int) -> int:
    return 1 + index % 5  # 1..5: within every chosen offer's limits


def order_items(offers: list[Any], count: int) -> list[dict[str, Any]]:
    chosen = pick_offers(offers)
    return [
        {
            "offer": {"id": chosen[i % len(chosen)].id, "version": chosen[i % len(chosen)].version},
            "quantity": line_quantity(i),
            "type": "offer",
        }
        for i in range(count)
    ]


def initiate_json(offers: list[Any], count: int, source: str = "benchmark") -> dict[str, Any]:
    return {
        "order": {
            "orderItems": order_items(offers, count),
            "external_id": f"bench-{uuid.uuid4()}",
            "country": "GB",
            "source": source,
            "order_type": "new",
        }
    }


def initiate_body(offers: list[Any], count: int, source: str = "benchmark"):
    from tui_app.services.api.models import InitiateCheckout

    return InitiateCheckout.model_validate(initiate_json(offers, count, source))
