"""Version 2 building blocks: the JSONPath subset, check operators and filters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui_app.services.scenarios.checks import Check, parse_duration, run_check
from tui_app.services.scenarios.jsonpath import compile_path, evaluate

DOC = {
    "id": "basket-1",
    "order": {
        "currency": "GBP",
        "total": {"amount": "19.98"},
        "orderItems": [
            {"id": "a", "quantity": 2, "offer": {"name": "Digital Monthly"}},
            {"id": "b", "quantity": 1, "offer": {"name": "Digital Annual"}},
        ],
    },
}


@pytest.mark.parametrize(("path", "found"), [
    ("$", [DOC]),
    ("$.id", ["basket-1"]),
    ("$['order'][\"currency\"]", ["GBP"]),
    ("$.order.orderItems[0].id", ["a"]),
    ("$.order.orderItems[-1].id", ["b"]),
    ("$.order.orderItems[5].id", []),
    ("$.order.orderItems[*].quantity", [2, 1]),
    ("$.order.total.*", ["19.98"]),
    ("$..name", ["Digital Monthly", "Digital Annual"]),
    ("$.order.orderItems[?(@.offer.name == 'Digital Annual')].id", ["b"]),
    ("$.order.orderItems[?(@.quantity > 1)].id", ["a"]),
    ("$.order.orderItems[?(@.quantity != 1)].id", ["a"]),
    ("$.order.orderItems[?(@.offer)].id", ["a", "b"]),
    ("$.nothing.here", []),
])
def test_the_jsonpath_subset(path, found):
    assert evaluate(path, DOC) == found


@pytest.mark.parametrize("path", ["order.id", "$.order[", "$.a b", "$[?(@.x ~ 1)]"])
def test_a_malformed_path_says_why(path):
    with pytest.raises(ValueError, match="JSONPath"):
        compile_path(path)


def check(**fields):
    return Check.model_validate(fields)


@pytest.mark.parametrize(("fields", "passed", "expected", "actual"), [
    ({"path": "$.order.currency", "equals": "GBP"}, True, '"GBP"', '"GBP"'),
    ({"path": "$.order.currency", "equals": "EUR"}, False, '"EUR"', '"GBP"'),
    ({"path": "$.order.total.amount", "equals": 19.98}, True, "19.98", '"19.98"'),
    ({"path": "$.order.currency", "not_equals": "EUR"}, True, 'not "EUR"', '"GBP"'),
    ({"path": "$..name", "contains": "Digital Annual"}, True, None, None),
    ({"path": "$.id", "contains": "ask"}, True, None, None),
    ({"path": "$.id", "matches": "^basket-\\d+$"}, True, None, None),
    ({"path": "$.id", "matches": "^order-"}, False, "matches /^order-/", '"basket-1"'),
    ({"path": "$.order.missing", "exists": False}, True, None, None),
    ({"path": "$.order.missing", "exists": True}, False, "present", "absent"),
    ({"path": "$.order.orderItems", "count": 2}, True, None, None),
    ({"path": "$.order.orderItems[*]", "count": 3}, False, "3", "2"),
    ({"path": "$.order.total.amount", "filter": "number", "less_than": 20}, True, None, None),
    ({"path": "$.order.total.amount", "greater_than": 20}, False, "> 20", '"19.98"'),
    ({"path": "$.order.currency", "one_of": ["EUR", "GBP"]}, True, None, None),
    ({"path": "$.order.currency", "filter": "lower", "equals": "gbp"}, True, None, None),
    ({"path": "$.order.orderItems", "filter": "count", "equals": 2}, True, None, None),
    ({"path": "$.order.orderItems[*].id", "filter": "first", "equals": "a"}, True, None, None),
    ({"path": "$.order.orderItems[*].id", "filter": "nth:1", "equals": "b"}, True, None, None),
    ({"path": "$.order.orderItems[*].id", "filter": "nth:7", "equals": "b"}, False, '"b"',
     "nothing"),
])
def test_operators_and_filters(fields, passed, expected, actual):
    result = run_check(check(**fields), DOC, check(**fields).operand)
    assert result[0] is passed
    if expected is not None:
        assert result[1:] == (expected, actual)


def test_true_is_not_one():
    assert run_check(check(path="$.x", equals=True), {"x": 1}, True)[0] is False
    assert run_check(check(path="$.x", equals=1), {"x": Decimal("1.00")}, 1)[0] is True


@pytest.mark.parametrize(("fields", "reason"), [
    ({"path": "$.a"}, "exactly one operator"),
    ({"path": "$.a", "equals": 1, "count": 1}, "this one has equals, count"),
    ({"path": "a", "equals": 1}, "must start with $"),
    ({"path": "$.a", "matches": "("}, "not a regular expression"),
    ({"path": "$.a", "filter": "upper", "equals": 1}, "unknown filter 'upper'"),
    ({"path": "$.a", "less_than": "ten"}, "'ten' is not a number"),
])
def test_a_bad_check_is_refused_with_the_reason(fields, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace("$", r"\$")):
        Check.model_validate(fields)


@pytest.mark.parametrize(("text", "seconds"), [("300ms", 0.3), ("2s", 2), ("1.5s", 1.5),
                                               ("1m", 60), ("2", 2)])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)
    with pytest.raises(ValueError):
        parse_duration("soon")
