"""Scenario files: what a hand-edited file may say, and how every mistake in
it is reported with its file and line before anything is sent."""

from __future__ import annotations

import textwrap

import pytest

from tui_app.services.scenarios.format import parse_reference, references_in, substitute
from tui_app.services.scenarios.loading import ScenarioError, load_scenario, parse_scenario

from scenario_texts import INITIATE_STEP

GOOD = """\
version = 1
name = "good"

""" + INITIATE_STEP + """\
[[steps.body.order.orderItems]]
offer = { id = "abc", version = "def" }
[steps.expect]
items = [{ offer = "Digital Monthly", quantity = 2 }, { offer = "abc" }]
total = 19.98
currency = "GBP"

[[steps]]
action = "update"
[[steps.body.orderActions]]
orderItemActionType = "change_quantity"
orderItemId = "${create.item:Digital Monthly}"
quantity = "${create.items[0].quantity}"

[[steps]]
action = "validate"
basket = "create"
[steps.expect]
valid = false
blocked = ["Print + Digital Bundle"]
errors = ["country_not_allowed"]
"""


def problems(text: str, path: str = "s.toml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(textwrap.dedent(text), path)
    return [str(problem) for problem in caught.value.problems]


def test_a_good_file_becomes_steps_that_know_their_basket_and_line():
    scenario = parse_scenario(GOOD, "good.toml")
    assert scenario.name == "good" and scenario.path == "good.toml"
    assert [s.action for s in scenario.steps] == ["initiate", "update", "validate"]
    assert [s.line for s in scenario.steps] == [4, 22, 29]
    assert [s.basket_step for s in scenario.steps] == [None, 0, 0]
    assert scenario.steps[0].expect.total == "19.98"  # a number is read as an amount
    assert scenario.steps[0].expect.items[1].quantity is None
    assert scenario.steps[1].expect.status == 200
    assert scenario.steps[0].label(0) == "step 1 (initiate create)"
    assert scenario.steps[1].label(1) == "step 2 (update)"


def test_a_toml_syntax_error_names_its_line():
    text = GOOD.replace('country = "GB"', "country = GB")
    assert problems(text) == ["s.toml:9: not valid TOML: Invalid value (column 11)"]


def test_unknown_actions_and_keys_are_named_with_a_suggestion():
    text = GOOD.replace('action = "update"', 'action = "updte"').replace(
        "currency =", "curency ="
    )
    found = problems(text)
    assert "s.toml:20: step 1 (initiate create): expect.curency: unknown key " \
           "(did you mean 'currency'?)" in found
    assert "s.toml:23: step 2 (updte): action: unknown action 'updte': " \
           "use initiate, update, validate" in found


def test_a_reference_to_a_later_or_unknown_step_is_refused():
    text = GOOD.replace("${create.item:Digital Monthly}", "${check.items[0].id}").replace(
        'basket = "create"', 'basket = "create"\nname = "check"'
    ).replace("${create.items[0].quantity}", "${creat.items[0].quantity}")
    found = problems(text)
    assert found[0].startswith("s.toml:26: step 2 (update): body.orderActions[0].orderItemId: "
                               "${check.items[0].id} refers to step 3 (validate check), "
                               "which runs later")
    assert found[1] == (
        "s.toml:27: step 2 (update): body.orderActions[0].quantity: ${creat.items[0].quantity} "
        "refers to no step: no step is named 'creat' (did you mean 'create'?)"
    )


def test_malformed_references_are_refused():
    text = GOOD.replace("${create.item:Digital Monthly}", "${create.itemz}").replace(
        "qa-${uuid}", "qa-${uuid"
    )
    found = problems(text)
    assert found[0] == ("s.toml:8: step 1 (initiate create): body.order.external_id: "
                        "a reference opened with ${ is not closed with }")
    assert found[1].startswith("s.toml:26: step 2 (update): body.orderActions[0].orderItemId: "
                               "unknown reference ${create.itemz}: use ${uuid}")


def test_fields_the_request_models_require_and_type_errors():
    text = GOOD.replace('country = "GB"\n', "").replace("quantity = 2\n", 'quantity = "two"\n')
    assert problems(text) == [
        "s.toml:7: step 1 (initiate create): body.order.country: missing",
        "s.toml:13: step 1 (initiate create): body.order.orderItems[0].quantity: "
        "Input should be a valid integer, unable to parse string as an integer",
    ]


def test_expectation_types_are_strict():
    text = GOOD.replace('currency = "GBP"', 'currency = "GBP"\nstatus = "200"')
    assert problems(text) == [
        "s.toml:21: step 1 (initiate create): expect.status: Input should be a valid integer"
    ]


def test_offers_need_a_name_or_an_id_not_both():
    text = GOOD.replace('offer = { name = "Digital Monthly" }',
                        'offer = { name = "Digital Monthly", id = "x", price = 3 }')
    assert problems(text) == [
        "s.toml:13: step 1 (initiate create): body.order.orderItems[0].offer.price: "
        "unknown key (an offer is { name = ... }, { id = ... } or { id = ..., version = ... })",
        "s.toml:13: step 1 (initiate create): body.order.orderItems[0].offer: "
        "give the offer's name or its id, not both",
    ]


def test_steps_must_fit_their_action():
    text = """\
    version = 1
    name = "misfits"

    [[steps]]
    action = "validate"

    [[steps]]
    action = "initiate"
    basket = "x"
    [steps.body.order]
    external_id = "${uuid}"
    country = "GB"
    source = "s"
    order_type = "new"
    orderItems = []
    [steps.expect]
    valid = true

    [[steps]]
    action = "validate"
    [steps.body]
    orderActions = []
    [steps.expect]
    status = 404
    items = []
    """
    assert problems(text) == [
        "s.toml:5: step 1 (validate): action: there is no earlier initiate step whose "
        "basket this validate could use",
        "s.toml:9: step 2 (initiate): basket: an initiate step makes its own basket; "
        "basket = ... is for update and validate steps",
        "s.toml:17: step 2 (initiate): expect.valid: is checked by validate steps only",
        "s.toml:21: step 3 (validate): body: a validate step sends no body; remove it",
        "s.toml:25: step 3 (validate): expect.items: cannot be checked when the step "
        "expects status 404: a refused call returns no basket",
    ]


def test_header_problems_and_duplicate_names():
    text = GOOD.replace("version = 1", "version = 3\ncolour = 'red'").replace(
        'basket = "create"', 'name = "create"'
    )
    assert problems(text) == [
        "s.toml:1: version: 3 is not supported (this basket-builder reads version 1 or 2)",
        "s.toml:2: colour: unknown key",
        "s.toml:32: step 3 (validate create): name: the name 'create' is already used by "
        "step 1; names must be unique",
    ]
    assert problems("description = 'x'\n") == [
        "s.toml:1: missing version = 1 at the top of the file",
        's.toml:1: missing name = "..." at the top of the file',
        "s.toml:1: the scenario needs at least one [[steps]] table",
    ]


def test_a_refused_status_may_check_the_message_only():
    text = GOOD.replace("valid = false", 'message = "gone"\nvalid = false')
    assert problems(text)[0] == (
        "s.toml:33: step 3 (validate): expect.message: checks the message of a refused call; "
        "use it with status = 401, 404 or 502"
    )
    negative = GOOD.replace("valid = false\n", 'status = 404\nmessage = "gone"\n').replace(
        'blocked = ["Print + Digital Bundle"]\nerrors = ["country_not_allowed"]\n', ""
    )
    assert parse_scenario(negative).steps[2].expect.message == "gone"


def test_load_scenario_reads_a_file_and_names_it(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace('name = "good"', "name = 3"), "utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:2: name: must be non-empty text"


def test_references_parse_and_substitute():
    assert parse_reference("create.items[2].offer.version").index == 2
    assert parse_reference(" offer:Puzzles & Crosswords ").name == "Puzzles & Crosswords"
    assert parse_reference("create.item:Digital Monthly").kind == "item_named"
    with pytest.raises(ValueError):
        parse_reference("create.items[x].id")
    assert [r.kind for r in references_in("a-${uuid}-${create.basket_id} $$5")] == [
        "uuid", "basket_id"
    ]
    values = {"uuid": "U", "basket_id": "B", "item": 3}
    assert substitute("qa-${uuid}/${x.basket_id} costs $$5",
                      lambda r: values[r.kind]) == "qa-U/B costs $5"
    assert substitute("${x.items[0].quantity}", lambda r: values[r.kind]) == 3  # stays a number
