"""Scenario files at the edges: values nested too deep to walk, files and step
counts over the documented limits, floods of problems, and thousands of steps.

Loading must stay linear in the size of the file. That is checked here by
counting work (lines of the loader executed, names compared), never by the
clock, so the tests mean the same on a fast machine and a loaded one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tui_app.services.scenarios import format as scenario_format
from tui_app.services.scenarios import loading
from tui_app.services.scenarios.format import Loc
from tui_app.services.scenarios.loading import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    MAX_PROBLEMS,
    MAX_STEPS,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

from scenario_texts import INITIATE_STEP

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

HEADER = 'version = 1\nname = "edges"\n\n'
INITIATE = INITIATE_STEP


def problems(text: str, path: str = "s.toml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, path)
    return [str(problem) for problem in caught.value.problems]


def nested(depth: int, open_: str = "[", close: str = "]", inner: str = "") -> str:
    return open_ * depth + inner + close * depth


# --------------------------------------------------------------------------- nesting

TOO_DEEP_TO_READ = (
    "s.toml: values are nested too deeply to read: a scenario may nest at most 32 levels"
)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(nested(600), id="array 600 deep"),
        pytest.param(nested(600, "{ a = ", " }", "1"), id="inline table 600 deep"),
        pytest.param("[" * 100_000, id="100,000 ["),
    ],
)
@pytest.mark.parametrize("where", ["top level", "in a step body"])
def test_values_nested_too_deep_for_the_parser_are_a_scenario_error(value, where):
    if where == "top level":
        text = HEADER + f"deep = {value}\n" + INITIATE
    else:
        text = HEADER + INITIATE + f"deep = {value}\n"
    assert problems(text) == [TOO_DEEP_TO_READ]


@pytest.mark.parametrize("parts", [MAX_NESTING + 1, 100_000])
def test_a_dotted_key_too_long_to_use_is_refused_before_the_parser_sees_it(monkeypatch, parts):
    # the TOML parser's time grows with the square of a key's parts: minutes for 100,000.
    calls: list[str] = []
    monkeypatch.setattr(loading.tomli, "loads", lambda text: calls.append(text) or {})
    monkeypatch.setattr(loading, "_read_toml", lambda text: calls.append(text) or {})
    key = ".".join(["a"] * parts)
    assert problems(HEADER + INITIATE + f"{key} = 1\n") == [
        "s.toml:15: a dotted key of more than 32 parts: nested more than 32 levels deep "
        "(the most a scenario may nest)"
    ]
    assert calls == []
    assert problems(HEADER + INITIATE + f"[steps.{key}]\n")[0].startswith("s.toml:15: a dotted")


def test_values_nested_past_the_limit_are_refused_with_their_step_and_line():
    too_deep = nested(MAX_NESTING)  # + the file, steps, a step, body, order: far past it
    text = HEADER + INITIATE.replace('country = "GB"\n', f'country = "GB"\ndeep = {too_deep}\n')
    assert problems(text) == [
        "s.toml:10: step 1 (initiate create): body.order.deep[0][0][0]: nested more than 32 "
        "levels deep (the most a scenario may nest)"
    ]


def test_a_top_level_value_nested_past_the_limit_is_refused_with_its_line():
    text = HEADER + f"description = {nested(MAX_NESTING + 1)}\n" + INITIATE
    assert problems(text) == [
        "s.toml:4: description: must be text",
        "s.toml:4: description[0][0][0][0][0][0][0]: nested more than 32 levels deep "
        "(the most a scenario may nest)",
    ]


def test_a_value_at_the_nesting_limit_is_checked_like_any_other():
    # file (1) > steps (2) > step (3) > body (4) > order (5) > value: up to the limit.
    def with_value(depth: int) -> str:
        value = nested(depth)
        return HEADER + INITIATE.replace('country = "GB"\n', f'country = "GB"\nok = {value}\n')

    assert problems(with_value(MAX_NESTING - 5)) == [
        "s.toml:10: step 1 (initiate create): body.order.ok: unknown key "
        "(known: orderItems, external_id, country, source, order_type, tracking)"
    ]
    assert problems(with_value(MAX_NESTING - 4)) == [
        "s.toml:10: step 1 (initiate create): body.order.ok[0][0][0]: nested more than 32 "
        "levels deep (the most a scenario may nest)"
    ]


# --------------------------------------------------------------------------- size limits


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == (
        f"{path}: a scenario file may be at most 16 MiB; this one is 16,777,217 bytes: "
        "split it into several files"
    )


def test_the_size_limit_holds_for_text_handed_over_directly(monkeypatch):
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 2_000)
    text = HEADER + INITIATE
    assert parse_scenario(text)  # under the limit
    assert problems(text + "#" * 2_000) == [
        "s.toml: a scenario file may be at most 2,000 bytes; this one is larger: "
        "split it into several files"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_stream_over_the_size_limit_is_cut_off(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 2_000)
    fifo = tmp_path / "stream.toml"
    os.mkfifo(fifo)
    writer = subprocess.Popen(  # a pipe has no size to look at first
        [sys.executable, "-c", f"open({str(fifo)!r}, 'w').write('#' * 50_000)"]
    )
    try:
        with pytest.raises(ScenarioError, match="this one is larger"):
            load_scenario(fifo)
    finally:
        writer.kill()
        writer.wait()


def steps_of(count: int) -> str:
    return HEADER + INITIATE + '[[steps]]\naction = "validate"\n' * (count - 1)


def test_the_step_limit(monkeypatch):
    assert MAX_STEPS == 100_000
    monkeypatch.setattr(loading, "MAX_STEPS", 50)
    assert len(parse_scenario(steps_of(50)).steps) == 50
    assert problems(steps_of(51)) == [
        "s.toml: 51 steps: a scenario may have at most 50; split it into several files"
    ]


def test_a_flood_of_problems_lists_the_first_ones_and_counts_the_rest():
    text = steps_of(1) + '[[steps]]\naction = "check"\n' * (MAX_PROBLEMS + 50)
    found = problems(text)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[0] == (
        "s.toml:16: step 2 (check): action: unknown action 'check': use initiate, update, validate"
    )
    assert found[-1] == "s.toml: 50 more problems not listed (the first 100 are)"


def test_a_file_that_is_not_utf8_is_a_scenario_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes((HEADER + INITIATE).replace("Monthly", "Mönthly").encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:1: not UTF-8 text"


def test_windows_line_endings_keep_their_line_numbers(tmp_path):
    path = tmp_path / "crlf.toml"
    text = HEADER + INITIATE.replace('action = "initiate"\n', 'action = "initiate"\ncolour = 1\n')
    path.write_bytes(text.replace("\n", "\r\n").encode())
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:7: step 1 (initiate create): colour: unknown key " \
                                "(known: name, action, basket, body, expect)"


# --------------------------------------------------------------------------- through the CLI


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "run", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(f"deep = {nested(600)}\n", f"{{path}}: {TOO_DEEP_TO_READ[8:]}",
                     id="600 deep"),
        pytest.param("deep = " + "[" * 100_000, f"{{path}}: {TOO_DEEP_TO_READ[8:]}",
                     id="100,000 ["),
        pytest.param(f"deep = {nested(MAX_NESTING)}\n",
                     "{path}:15: step 1 (initiate create): body.order.orderItems[0].deep[0]: "
                     "nested more than 32 levels deep (the most a scenario may nest)",
                     id="past the limit"),
    ],
)
def test_run_exits_2_with_the_reason_for_a_file_nested_too_deep(tmp_path, body, message):
    path = tmp_path / "deep.toml"
    path.write_text(HEADER + INITIATE + body, "utf-8")
    result = run(str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr == message.format(path=path) + "\n"
    assert result.stdout == ""


def test_run_exits_2_for_a_file_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    result = run(str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        f"{path}: a scenario file may be at most 16 MiB; this one is 16,777,217 bytes: "
        "split it into several files\n"
    )


# --------------------------------------------------------------------------- linear work


def journey(steps: int, *, typo_every: int = 0) -> str:
    """A scenario whose steps use every cross-step look-up: named initiates,
    updates referring to them, validates on a named or the latest basket;
    ``typo_every`` adds a reference to a misspelt name every so many steps."""
    out = [HEADER]
    for i in range(steps):
        kind = i % 4
        if kind == 0:
            out.append(INITIATE.replace('name = "create"', f'name = "s{i}"'))
        elif kind == 1:
            ref = f"s{i - 1}" if not (typo_every and i % typo_every == 1) else f"s{i - 1}x"
            out.append(f"""[[steps]]
action = "update"
basket = "s{i - 1}"
[[steps.body.orderActions]]
orderItemActionType = "change_quantity"
orderItemId = "${{{ref}.item:Digital Monthly}}"
quantity = "${{s{i - 1}.items[0].quantity}}"
""")
        elif kind == 2:
            out.append(f'[[steps]]\nname = "v{i}"\naction = "validate"\n')
        else:
            out.append(f'[[steps]]\naction = "validate"\nbasket = "s{i - 3}"\n'
                       "[steps.expect]\nvalid = true\n")
    return "\n".join(out)


def lines_executed(action) -> int:
    """How many lines of the loader (and difflib) ``action`` executes."""
    counted = {loading.__file__, scenario_format.__file__, difflib.__file__}
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename in counted else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        action()
    finally:
        sys.settrace(previous)
    return count


def quietly(text: str):
    def action():
        with contextlib.suppress(ScenarioError):
            parse_scenario(text, "s.toml")

    return action


# Four times the steps: a linear loader does four times the work, a quadratic
# one sixteen (the old one: about 11 between these sizes).
GROWTH_ALLOWED = 4.5


def test_a_good_file_is_checked_in_work_linear_in_its_steps():
    small, large = (lines_executed(quietly(journey(n))) for n in (200, 800))
    assert large < GROWTH_ALLOWED * small, (small, large)


def test_problems_are_located_in_work_linear_in_the_file():
    # No [[steps]] headers: every look-up spans the whole file, and "action"
    # (missing from every step) is found nowhere.
    def inline(steps: int) -> str:
        rows = ",\n".join(f'  {{ name = "s{i}" }}' for i in range(steps))
        return HEADER + f"steps = [\n{rows},\n]\n"

    assert len(problems(inline(80))) == 80
    small, large = (lines_executed(quietly(inline(n))) for n in (20, 80))
    assert large < GROWTH_ALLOWED * small, (small, large)


def test_did_you_mean_compares_a_bounded_number_of_names(monkeypatch):
    compared = 0
    real = difflib.get_close_matches

    def counting(word, possibilities, *args, **kwargs):
        nonlocal compared
        compared += len(possibilities)
        return real(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(loading.difflib, "get_close_matches", counting)
    found = problems(journey(400, typo_every=8))
    assert "(did you mean 's0'?)" in found[0]
    assert len(found) == 50 and compared <= loading._SUGGEST_BUDGET
    compared = 0
    problems(journey(4_000, typo_every=8))
    assert compared <= loading._SUGGEST_BUDGET


def test_replay_finds_steps_by_name_in_work_independent_of_their_number():
    def all_look_ups(steps: int) -> int:
        scenario = parse_scenario(journey(steps))
        names = [step.name for step in scenario.steps if step.name]
        return lines_executed(lambda: [scenario.index_of(name) for name in names])

    small, large = all_look_ups(200), all_look_ups(800)
    assert large < GROWTH_ALLOWED * small, (small, large)


def test_index_of_follows_changes_to_the_steps():
    scenario = parse_scenario(journey(8))
    assert scenario.index_of("s4") == 4 and scenario.index_of("nope") is None
    renamed = scenario.steps[4].model_copy(update={"name": "other"})
    scenario.steps = [*scenario.steps[:4], renamed, *scenario.steps[5:]]
    assert scenario.index_of("s4") is None and scenario.index_of("other") == 4
    scenario.steps.append(scenario.steps[0].model_copy(update={"name": "last"}))
    assert scenario.index_of("last") == 8


def test_thousands_of_steps_keep_their_lines_and_baskets():
    scenario = parse_scenario(journey(3_000))
    text_lines = journey(3_000).splitlines()
    assert len(scenario.steps) == 3_000
    for index, step in enumerate(scenario.steps):
        assert text_lines[step.line - 1] == "[[steps]]"
        expected = {0: None, 1: index - 1, 2: index - 2, 3: index - 3}[index % 4]
        assert step.basket_step == expected, index
    assert scenario.index_of("s2996") == 2996


# --------------------------------------------------------------------------- same lines as before


class _OldLines:
    """The line finder as it was (a scan per look-up), kept as the reference
    for the indexed one: both must name the same line for every key path."""

    _HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if self._HEADER.match(line)]

    def _range(self, step):
        if step is None:
            return 0, self.headers[0] if self.headers else len(self.lines)
        if step >= len(self.headers):
            return (self.headers[-1] if self.headers else 0), len(self.lines)
        end = self.headers[step + 1] if step + 1 < len(self.headers) else len(self.lines)
        return self.headers[step], end

    def find(self, step, path=()):
        start, end = self._range(step)
        position = start
        previous_key = None
        for part in path:
            if isinstance(part, int):
                position = self._element(position, end, previous_key, part)
                continue
            key = re.compile(rf"(?:^|[\s{{,.\[])\"?{re.escape(part)}\"?\s*(?:=|\]|\.)")
            found = next(
                (i for i in range(position, end)
                 if key.search(loading._Lines._strip_comment(self.lines[i]))), None
            )
            if found is None:
                break
            position, previous_key = found, part
        return position + 1

    def _element(self, position, end, key, index):
        if key is None:
            return position
        header = re.compile(rf"^\s*\[\[[^\]]*\b{re.escape(key)}\s*\]\]")
        tables = [i for i in range(position, end) if header.match(self.lines[i])]
        if len(tables) > index:
            return tables[index]
        if self.lines[position].rstrip().endswith("[") and position + 1 + index < end:
            return position + 1 + index
        return position


def every_path(value, loc: Loc = ()):
    yield loc
    if isinstance(value, dict):
        for key, item in value.items():
            yield from every_path(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from every_path(item, (*loc, index))


TRICKY = HEADER + textwrap.dedent("""\
    description = "a # that is not a comment, steps = 1"   # but this is: body = 2
    [[steps]]
    name = "create"
    action = "initiate"   # action = "validate"
    "quoted key" = 1
    dotted.key.path = 2
    [steps.body.order]
    external_id = 'single # quoted'
    orderItems = [
        { offer = { name = "A" }, quantity = 1 },
        { offer = { id = "b" } },
    ]
    [[steps]]   # the second step
    action = "update"
    [[steps.body.orderActions]]
    orderItemActionType = "add"
    [[steps.body.orderActions]]
    orderItemActionType = "remove"
    [[ steps ]]
    action = "validate"
    [steps.expect]
    items = [{ offer = "A" }]
    """)


@pytest.mark.parametrize(
    "path", [*EXAMPLES, "tricky", "inline"], ids=lambda p: getattr(p, "name", p)
)
def test_the_indexed_line_finder_names_the_lines_the_scanning_one_did(path):
    if path == "tricky":
        text = TRICKY
    elif path == "inline":
        text = HEADER + textwrap.dedent("""\
            steps = [
              { action = "validate", expect = { valid = true } },
              { name = "x", action = "a", body = { orderActions = [{ quantity = 1 }] } },
              { name = "y", action = "update", body.orderActions = [
                  { quantity = 2 },
                  { quantity = 3 },
              ] },
            ]
            """)
    else:
        text = path.read_text("utf-8")
    data = tomllib.loads(text)
    old, new = _OldLines(text), loading._Lines(text)
    assert new.headers == old.headers
    steps = data.get("steps", [])
    cases = [(None, loc) for key in data if key != "steps" for loc in every_path(data[key], (key,))]
    cases += [(index, loc) for index, step in enumerate(steps) for loc in every_path(step)]
    cases += [(index, ("not", "there")) for index in range(len(steps) + 1)]
    assert len(cases) > 10
    for step, loc in cases:
        assert new.find(step, loc) == old.find(step, loc), (step, loc)
