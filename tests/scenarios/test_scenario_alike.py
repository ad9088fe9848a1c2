"""Loading a big file fast must not change a word of what is reported.

The loader checks steps written exactly alike once (see ``loading._Shape``),
makes their Step objects from the first one's, and reads the TOML with rtoml
when rtoml reads it as tomli would. These tests pin the behaviour: every step
still gets its own problems, line and objects, and types that compare equal
(1 and 1.0, 1 and true) are never taken for one another. No test here looks
at a clock.
"""

from __future__ import annotations

import datetime
import gc

import pytest
import tomli

from tui_app.services.scenarios import loading
from tui_app.services.scenarios.format import Step
from tui_app.services.scenarios.loading import ScenarioError, parse_scenario

from scenario_texts import INITIATE_STEP

HEADER = 'version = 1\nname = "alike"\n\n'
UPDATE = """\
[[steps]]
action = "update"
[[steps.body.orderActions]]
orderItemActionType = "change_quantity"
orderItemId = "${create.item:Digital Monthly}"
quantity = QUANTITY
"""


def update(quantity: str = "2", expect: str = "") -> str:
    return UPDATE.replace("QUANTITY", quantity) + (f"[steps.expect]\n{expect}\n" if expect else "")


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.toml")
    return [str(problem) for problem in caught.value.problems]


def line_of(text: str, step: int) -> int:
    """The line of the ``step``-th (from 1) [[steps]] header."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line == "[[steps]]"]
    return lines[step - 1]


def test_a_bad_body_deep_in_a_big_file_of_steps_alike_keeps_its_step_and_line():
    # Steps 2..40,000 and 40,002.. are alike; 40,001 and 40,003 share a bad body.
    bad = update("-1")
    steps = [update() for _ in range(40_004)]
    steps[40_000 - 1] = steps[40_002 - 1] = bad
    text = HEADER + INITIATE_STEP + "".join(steps)
    message = "body.orderActions[0].quantity: Input should be greater than or equal to 1"
    assert problems(text) == [
        f"s.toml:{line_of(text, 40_001) + 5}: step 40001 (update): {message}",
        f"s.toml:{line_of(text, 40_003) + 5}: step 40003 (update): {message}",
    ]


def test_values_equal_but_of_other_types_are_checked_each_on_their_own():
    # 200 == 200.0 in Python; the expectations are strict and refuse the float.
    text = (HEADER + INITIATE_STEP + update(expect="status = 200")
            + update(expect="status = 200.0") + update(expect="status = 200"))
    assert problems(text) == [
        f"s.toml:{line_of(text, 3) + 7}: step 3 (update): expect.status: "
        "Input should be a valid integer"
    ]


def test_reference_problems_are_reported_for_every_step_alike_with_their_own_place():
    wrong = UPDATE.replace("create.item", "later.item").replace("QUANTITY", "2")
    later = INITIATE_STEP.replace('name = "create"', 'name = "later"')
    text = HEADER + INITIATE_STEP + wrong + wrong + later + wrong
    found = problems(text)
    assert [p.split(": ", 1)[0] for p in found] == [
        f"s.toml:{line_of(text, step) + 4}" for step in (2, 3)
    ]
    assert "step 2 (update)" in found[0] and "which runs later" in found[0]
    assert "step 3 (update)" in found[1]


def test_steps_alike_are_distinct_objects_equal_to_what_the_model_makes(monkeypatch):
    text = (HEADER + INITIATE_STEP + update() + update() + update("3")
            + '[[steps]]\naction = "validate"\n[[steps]]\naction = "validate"\n')
    fast = parse_scenario(text, "s.toml")
    monkeypatch.setattr(loading._Valid, "fits", classmethod(lambda cls, raw: False))
    slow = parse_scenario(text, "s.toml")
    assert fast.model_dump() == slow.model_dump()
    for made, validated in zip(fast.steps, slow.steps, strict=True):
        assert type(made) is Step
        assert made.__dict__ == validated.__dict__
        assert made.__pydantic_fields_set__ == validated.__pydantic_fields_set__
        assert made.__pydantic_private__ == validated.__pydantic_private__
        assert made.__pydantic_extra__ is validated.__pydantic_extra__ is None
        assert (made.line, made.basket_step) == (validated.line, validated.basket_step)
    one, two = fast.steps[1], fast.steps[2]
    assert one.body is not two.body and one.expect is not two.expect
    assert one.__pydantic_fields_set__ is not two.__pydantic_fields_set__
    one.body["orderActions"] = []
    one.expect.total = "1.00"
    assert two.body["orderActions"] and two.expect.total is None
    assert fast.steps[3].line != fast.steps[4].line


def test_a_step_from_its_shape_is_the_one_model_validate_gives():
    raws = [
        {"action": "validate"},
        {"name": "s1", "action": "update", "basket": "create",
         "body": {"orderActions": [{"quantity": 2}]}},
        {"action": "initiate", "body": {}},
    ]
    for raw in raws:
        assert loading._Valid.fits(raw)
        validated = Step.model_validate(raw)
        validated._line = 7
        made = loading._Valid.of(Step.model_validate(raw)).step_for(raw, 7)
        assert made == validated
        assert made.__pydantic_fields_set__ == validated.__pydantic_fields_set__
        if "body" in raw:  # a new dict of the same values, as the model makes it
            assert made.body is not raw["body"] and made.body == raw["body"]
            assert all(made.body[k] is raw["body"][k] for k in raw["body"])
    assert not loading._Valid.fits({"action": "validate", "expect": {"valid": True}})
    assert not loading._Valid.fits({"action": "update", "capture": {"x": "$.id"}})


# --------------------------------------------------------------------------- reading TOML


@pytest.mark.parametrize(
    "text",
    [
        HEADER + INITIATE_STEP + update() * 3,
        HEADER + INITIATE_STEP + 'at = 1979-05-27T07:32:00Z\nlocal = 1979-05-27T07:32:00\n'
        'offset = 1979-05-27T00:32:00.999999-07:00\nday = 1979-05-27\ntime = 07:32:00\n',
        'a = 1e400\nb = -nan\nc = 0x10\nd = 9223372036854775808\n[t]\nz = 1\ny = 2\n',
    ],
    ids=["steps", "dates and times", "numbers"],
)
def test_toml_is_read_with_the_values_and_types_tomli_gives(text):
    def typed(value):
        if isinstance(value, dict):
            return [(key, typed(item)) for key, item in value.items()]
        if isinstance(value, list):
            return [typed(item) for item in value]
        tz = type(value.tzinfo) if isinstance(value, datetime.datetime) else None
        return type(value), repr(value), tz

    assert typed(loading._read_toml(text)) == typed(tomli.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff" + HEADER + INITIATE_STEP,  # a byte-order mark: rtoml reads it, tomli does not
        HEADER + INITIATE_STEP + "quantity = 3\n",  # a key given twice
        HEADER + INITIATE_STEP + 'country = "GB\n',  # a string left open
        HEADER + "steps = " + "[" * 200 + "]" * 200 + "\n",
    ],
    ids=["bom", "duplicate key", "open string", "deep"],
)
def test_a_file_rtoml_refuses_or_reads_otherwise_is_reported_in_tomli_words(text, monkeypatch):
    got = problems(text)
    monkeypatch.setattr(loading, "rtoml", None)
    assert got == problems(text)


def test_the_collector_is_left_as_it_was():
    text = HEADER + INITIATE_STEP + update() * 3
    assert gc.isenabled()
    parse_scenario(text)
    assert gc.isenabled()
    gc.disable()
    try:
        parse_scenario(text)
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------- reading steps alike


def alike_file(steps: int = 40, preamble: str = "") -> str:
    quantities = ["2", "3"] * steps
    return (HEADER + preamble + INITIATE_STEP + "".join(update(q) for q in quantities[:steps])
            + '[[steps]]\naction = "validate"\n[steps.expect]\nvalid = true\n')


def typed(value):
    if isinstance(value, dict):
        return [(key, typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value), repr(value)


@pytest.mark.parametrize("preamble", ["", 'description = "d"\n[[data]]\ncountry = "GB"\n'])
def test_a_file_of_steps_alike_is_read_piece_by_piece_as_tomli_reads_it_whole(preamble):
    text = alike_file(preamble=preamble)
    data, keys = loading._read_steps_alike(text)
    assert typed(data) == typed(tomli.loads(text))
    assert len(keys) == len(data["steps"]) == 42
    # No two steps share a table or a list, as when each is read on its own.
    def containers(value):
        if isinstance(value, dict | list):
            yield id(value)
            for item in value.values() if isinstance(value, dict) else value:
                yield from containers(item)

    seen: set[int] = set()
    for step in data["steps"]:
        own = set(containers(step))
        assert not own & seen
        seen |= own


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text.replace('name = "alike"', 'name = """alike"""'),
        lambda text: text.replace('name = "alike"', "name = '''alike'''"),
        lambda text: text.replace(HEADER, HEADER + "steps = []\n"),
        lambda text: text.replace('[steps.expect]\nvalid', '[other]\nvalid'),
        lambda text: text.replace("quantity = 3\n", "quantity = 3\nat = 1979-05-27T07:32:00\n"),
        lambda text: alike_file(2),
    ],
    ids=["multi-line string", "literal multi-line", "steps before", "another table",
         "a date", "few steps"],
)
def test_files_that_cannot_be_cut_into_steps_are_read_whole(change, monkeypatch):
    text = change(alike_file())
    def outcome():
        try:
            return parse_scenario(text, "s.toml").model_dump()
        except ScenarioError as exc:
            return str(exc)

    assert loading._read_steps_alike(text) is None
    as_loaded = outcome()
    monkeypatch.setattr(loading, "_read_steps_alike", lambda text: None)
    assert outcome() == as_loaded


def test_a_toml_mistake_in_one_of_many_steps_alike_is_reported_as_reading_whole_does(
        monkeypatch):
    text = alike_file(60)
    at = text.index("quantity = 3\n", len(text) // 2)
    text = text[:at] + "quantity = 3\nquantity = 4\n" + text[at + len("quantity = 3\n"):]
    found = problems(text)
    assert len(found) == 1 and "not valid TOML" in found[0]
    monkeypatch.setattr(loading, "_read_steps_alike", lambda text: None)
    assert problems(text) == found
