import pytest
from pydantic import ValidationError

from tui_app.services.api.models import (
    CatalogueOffer,
    InitiateCheckout,
    OrderAction,
    QuantityOptions,
    UpdateCheckout,
    ValidateResponse,
    check_basket_id,
    describe_validation_error,
)

from contract import request_errors

GOOD_ORDER = {
    "order": {
        "orderItems": [{"offer": {"id": "a" * 40, "version": "b" * 40}, "quantity": 2}],
        "external_id": "ext-1",
        "country": "GB",
        "source": "partner-portal",
        "order_type": "new",
    }
}


def problems(model, body):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return describe_validation_error(caught.value)


def test_a_good_initiate_body_serialises_to_what_the_spec_accepts():
    body = InitiateCheckout.model_validate(GOOD_ORDER).to_json()
    assert body["order"]["orderItems"][0] == {
        "offer": {"id": "a" * 40, "version": "b" * 40},
        "quantity": 2,
    }
    assert request_errors("initiate", body) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda o: o["order"].pop("country"), "order.country: Field required"),
        (lambda o: o["order"].update(order_type="upgrade"), "order.order_type: Input should be"),
        (
            lambda o: o["order"]["orderItems"][0]["offer"].pop("version"),
            "order.orderItems[0].offer.version: Field required",
        ),
        (lambda o: o["order"]["orderItems"][0].update(type="bundle"), "orderItems[0].type"),
        (lambda o: o["order"]["orderItems"][0].update(quantity=0), "orderItems[0].quantity"),
        (lambda o: o["order"].update(orderitems=[]), "order.orderitems: Extra inputs"),
    ],
)
def test_initiate_problems_are_reported_per_field(mutate, expected):
    import copy

    body = copy.deepcopy(GOOD_ORDER)
    mutate(body)
    assert any(expected in line for line in problems(InitiateCheckout, body))


def test_type_is_required_on_every_item_once_an_add_on_is_in_the_basket():
    import copy

    body = copy.deepcopy(GOOD_ORDER)
    body["order"]["orderItems"].append(
        {"offer": {"id": "c" * 40, "version": "d" * 40}, "type": "add_on"}
    )
    assert any("orderItems[0].type is required" in p for p in problems(InitiateCheckout, body))


def test_update_actions_need_the_fields_their_type_uses():
    lines = problems(UpdateCheckout, {"orderActions": [{"orderItemActionType": "remove"}]})
    assert lines == ["orderActions[0]: a 'remove' action needs orderItemId"]
    lines = problems(UpdateCheckout, {"orderActions": [{"orderItemActionType": "explode"}]})
    assert "orderActions[0].orderItemActionType" in lines[0]


def test_update_body_built_from_helpers_matches_the_spec():
    body = UpdateCheckout(
        orderActions=[
            OrderAction.add("x" * 40),
            OrderAction.change_quantity("item-1", 3),
            OrderAction.remove("item-2"),
        ]
    ).to_json()
    assert body["orderActions"][0] == {"orderItemActionType": "add", "offerId": "x" * 40}
    assert request_errors("update", body) == []


@pytest.mark.parametrize(
    "basket_id",
    ["basket-a1b2c3d4e5f6", "basket-22e3d318-92e2-4909-b59c-1265623bc3f6x", "22e3d318"],
)
def test_basket_ids_outside_the_validate_pattern_are_refused(basket_id):
    with pytest.raises(ValidationError):
        check_basket_id(basket_id)


def test_a_real_basket_id_passes():
    assert check_basket_id("basket-22e3d318-92e2-4909-b59c-1265623bc3f6")


def test_responses_keep_fields_the_spec_does_not_show():
    reply = ValidateResponse.model_validate(
        {
            "id": "basket-x",
            "checkout": {"orderItems": [{"id": "i", "quantity": 1, "gift": True}], "extra": 1},
            "invalid": {"blockedProducts": ["p"], "reason": "x"},
            "traceId": "t",
        }
    )
    assert reply.model_extra == {"traceId": "t"}
    assert reply.checkout.orderItems[0].model_extra == {"gift": True}
    assert not reply.is_valid


def test_validate_with_null_invalid_reads_as_valid():
    reply = ValidateResponse.model_validate({"id": "b", "checkout": {}, "invalid": None})
    assert reply.is_valid


def test_line_total_is_derived_when_the_tenant_sends_only_a_unit_price():
    reply = ValidateResponse.model_validate(
        {
            "id": "b",
            "checkout": {
                "orderItems": [{"quantity": 3, "price": {"amount": "17.50", "currency": "GBP"}}]
            },
            "invalid": {},
        }
    )
    assert str(reply.checkout.orderItems[0].line_total) == "52.50"


def test_quantity_limits_say_what_they_accept():
    limits = QuantityOptions(minimum_quantity=5, maximum_quantity=250, increment=5)
    assert limits.problem_with(3) == "at least 5"
    assert limits.problem_with(255) == "at most 250"
    assert limits.problem_with(12) == "in steps of 5 from 5"
    assert limits.problem_with(25) is None


def test_catalogue_offer_tolerates_sparse_items():
    offer = CatalogueOffer.model_validate({"id": "abc", "path": "/add_ons/Puzzles"})
    assert offer.is_add_on and offer.display_name == "Puzzles"
    assert offer.prices == [] and offer.quantity_options.maximum_quantity is None


def test_odd_details_read_as_unknown_instead_of_failing_the_reply():
    reply = ValidateResponse.model_validate(
        {
            "id": "b",
            "checkout": {
                "orderItems": [{"id": 7, "quantity": "lots", "price": "free", "offer": []}],
                "total": "n/a",
            },
            "invalid": {"blockedProducts": [{"id": "offer-1", "why": "x"}, 42],
                        "validationErrors": ["country not sold"]},
        }
    )
    item = reply.checkout.orderItems[0]
    assert item.quantity is None and item.price is None and item.offer is None
    assert item.id is None and reply.checkout.total is None
    # Blocked products in an unexpected shape still make the basket invalid.
    assert reply.invalid.blockedProducts == ["offer-1", "42"]
    assert reply.invalid.validationErrors[0].message == "country not sold"
    assert not reply.is_valid


def test_a_catalogue_item_with_odd_attributes_still_lists():
    offer = CatalogueOffer.model_validate(
        {
            "id": "a",
            "data": {
                "attributes": {
                    "price__limio": "9.99",
                    "allowed_countries__limio": None,
                    "default_quantity_options__limio": {"maximum_quantity": "ten"},
                }
            },
        }
    )
    assert offer.prices == [] and offer.countries == []
    assert offer.quantity_options.maximum_quantity is None



@pytest.mark.parametrize("odd", [None, "x", 5, {"a": 1}, [1, None]])
def test_an_odd_list_reads_as_empty_and_a_good_one_is_kept(odd):
    from tui_app.services.api.models import BasketItem

    item = BasketItem.model_validate({"id": "i", "addOns": odd, "products": odd})
    expected = odd if isinstance(odd, list) else []  # list[Any]: any entries will do
    assert item.addOns == expected and item.products == expected
    assert {"addOns", "products"} <= item.model_fields_set  # as sent, for the tree
    offer = CatalogueOffer.model_validate(
        {"id": "a", "tags": odd, "data": {"attributes": {"allowed_countries__limio": ["GB"]}}})
    assert offer.tags == [] and offer.countries == ["GB"]  # list[str]: 1 is not a tag
    fresh = [BasketItem.model_validate({"id": n}).addOns for n in "ab"]
    assert fresh == [[], []] and fresh[0] is not fresh[1]  # each its own list


def _order_of(items):
    return ValidateResponse.model_validate({"id": "b", "checkout": {"orderItems": items}})


def test_reply_lines_given_the_same_fields_share_one_set_and_still_say_which_they_were_given():
    lines = _order_of([
        {"id": "i1", "quantity": 1, "price": {"amount": "1.00", "currency": "GBP"}},
        {"id": "i2", "quantity": 2, "price": {"amount": "2.00", "currency": "GBP"}},
        {"id": "i3"},
    ]).checkout.orderItems
    assert lines[0].__pydantic_fields_set__ is lines[1].__pydantic_fields_set__
    assert lines[0].price.__pydantic_fields_set__ is lines[1].price.__pydantic_fields_set__
    assert lines[2].model_fields_set == {"id"}
    # What the checkout tree shows: only what the server sent, extras included.
    assert lines[2].model_dump(exclude_unset=True) == {"id": "i3"}
    gift = _order_of([{"id": "g", "gift": True}]).checkout.orderItems[0]
    assert gift.model_dump(exclude_unset=True) == {"id": "g", "gift": True}


def test_a_reply_cannot_be_changed_once_read_so_a_shared_set_never_grows():
    first, second = _order_of([{"id": "a", "quantity": 1}, {"id": "b", "quantity": 1}]
                              ).checkout.orderItems
    with pytest.raises(ValidationError):
        first.type = "offer"
    assert second.model_fields_set == {"id", "quantity"}
    copy = first.model_copy(update={"type": "offer"})  # a copy gets a set of its own
    assert copy.model_fields_set == {"id", "quantity", "type"}
    assert second.model_fields_set == {"id", "quantity"}


def test_a_server_sending_new_fields_on_every_line_does_not_grow_the_shared_sets_without_end():
    from tui_app.services.api.models import common

    lines = _order_of([{"id": str(n), f"odd{n}": n} for n in range(2000)]).checkout.orderItems
    assert len(common._SHARED_FIELD_SETS) <= common._MAX_SHARED_FIELD_SETS
    assert lines[1999].model_dump(exclude_unset=True) == {"id": "1999", "odd1999": 1999}
