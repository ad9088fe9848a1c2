"""A pick goes into the initiate body exactly as an OrderItem made of it dumps."""

from __future__ import annotations

import pytest

from tui_app.services.api.fast_json import dumps
from tui_app.services.api.models import ItemType, OfferPayload, OrderItem
from tui_app.widgets.offer_order_form import OrderValues, build_initiate
from tui_app.widgets.offer_picks import Pick


@pytest.mark.parametrize("item_type", [ItemType.OFFER, ItemType.ADD_ON, None])
@pytest.mark.parametrize("quantity", [1, 7])
def test_the_json_of_a_pick_is_its_order_item_dumped(item_type, quantity):
    pick = Pick(offer_id="offer-1a2b", version="v-3c4d", quantity=quantity, item_type=item_type,
                name="Digital Monthly")
    item = OrderItem(offer=OfferPayload(id=pick.offer_id, version=pick.version),
                     quantity=pick.quantity, type=pick.item_type)
    assert pick.order_json() == item.model_dump(mode="json", exclude_none=True)


def test_a_pick_is_checked_once_and_its_item_goes_into_the_body_as_made():
    pick = Pick(offer_id="offer-1a2b", version="v-3c4d", quantity=3, item_type=ItemType.OFFER,
                name="Digital Monthly")
    item = pick.order_item
    assert isinstance(item, OrderItem) and item is pick.order_item
    assert item.model_dump(mode="json", exclude_none=True) == pick.order_json()
    checked = build_initiate([item], OrderValues(external_id="x"))
    assert checked.body is not None and checked.body.order.orderItems == [item]
    from_json = build_initiate([pick.order_json()], OrderValues(external_id="x"))
    assert dumps(checked.body) == dumps(from_json.body)


@pytest.mark.parametrize(("offer_id", "quantity", "where"), [
    ("offer\x00x", 1, "offer.id"),  # the tenant's id, unfit to send
    ("offer-1", 0, "quantity"),
])
def test_a_pick_that_does_not_pass_is_reported_where_it_is_wrong(offer_id, quantity, where):
    bad = Pick(offer_id=offer_id, version="v-1", quantity=quantity, item_type=ItemType.OFFER)
    good = Pick(offer_id="offer-2", version="v-1", quantity=1, item_type=ItemType.OFFER)
    assert bad.order_item == bad.order_json()
    checked = build_initiate([good.order_item, bad.order_item], OrderValues(external_id="x"))
    assert checked.body is None
    assert any(problem.startswith(f"[1].{where}:") for problem in checked.problems["items"])
