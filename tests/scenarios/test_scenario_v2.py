"""Scenario language version 2: captures, checks, retry, variables, data
tables; version 1 files keep working and refuse the new keys with a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_app.services.api import errors
from tui_app.services.scenarios.loading import ScenarioError, load_scenario, parse_scenario
from tui_app.services.scenarios.replay import run_scenario

from sandboxed import client_for
from scenario_texts import INITIATE_STEP

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ROOT / "examples" / "regression" / "captures-and-checks.toml"
TABLE = ROOT / "examples" / "regression" / "country-table.toml"

HEAD = """version = 2
name = "v2"

""" + INITIATE_STEP


def problems(text: str, variables=None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.toml", variables=variables)
    return [str(p) for p in caught.value.problems]


def test_the_new_keys_need_version_2_and_say_where():
    text = HEAD.replace("version = 2", "version = 1") + """[steps.capture]
basket = "$.id"
[[steps.check]]
path = "$.id"
exists = true

[[steps]]
action = "validate"
retry = 2
[[data]]
country = "GB"
"""
    assert problems(text) == [
        "s.toml:15: step 1 (initiate create): capture: capture needs version = 2 "
        "(this file says version = 1)",
        "s.toml:17: step 1 (initiate create): check: check needs version = 2 "
        "(this file says version = 1)",
        "s.toml:23: step 2 (validate): retry: retry needs version = 2 (this file says "
        "version = 1)",
        "s.toml:24: data tables ([[data]]) need version = 2 (this file says version = 1)",
    ]


def test_a_variable_in_a_version_1_body_is_refused():
    text = HEAD.replace("version = 2", "version = 1").replace('"GB"', '"${country}"')
    assert problems(text) == [
        "s.toml:9: step 1 (initiate create): body.order.country: ${country}: variables need "
        "version = 2 (this file says version = 1); in version 1 use ${uuid}, ${offer:NAME}, "
        "${STEP.basket_id}, ${STEP.external_id}, ${STEP.items[N].id} or ${STEP.item:NAME}"
    ]


def test_problems_of_checks_captures_retries_and_variables_have_lines():
    text = HEAD + """[steps.capture]
"bad name" = "$.id"
item = "order.orderItems"
[[steps.check]]
path = "$.order.orderItems"
count = 1
equals = 2
[[steps.check]]
path = "$.order.currency"
matches = "("

[[steps]]
action = "update"
retry = 3
[[steps.body.orderActions]]
orderItemActionType = "change_quantity"
orderItemId = "${later}"
quantity = 3
[[steps.check]]
path = "$.id"
equals = "${nowhere}"

[[steps]]
action = "validate"
retry = 2
retry_interval = "soon"
[steps.capture]
later = "$.id"
[[steps.check]]
path = "$.id"
exists = true
"""
    found = problems(text, variables={"given"})
    joined = "\n".join(found)
    assert "exactly one operator" in joined and "not a regular expression" in joined
    assert ("step 2 (update): retry: an update step cannot be retried: an update is not "
            "idempotent") in joined
    assert "${later} is not defined; step 3 (validate) captures it, which runs later" in joined
    assert ("${nowhere} is not defined: capture it in an earlier step, add it to [[data]], "
            "or give --var nowhere=...") in joined
    assert "'soon' is not a duration" in joined
    for line in found:
        assert line.startswith("s.toml:") and line.split(":")[1].isdigit(), line


def test_bad_capture_names_and_paths_are_refused():
    text = HEAD + """[steps.capture]
"bad name" = "$.id"
item = "order.orderItems"
cookie_value = { cookie = "a", header = "b" }
"""
    joined = "\n".join(problems(text))
    assert "capture.bad name: 'bad name' is not a variable name" in joined
    assert "capture.item: 'order.orderItems' is not a JSONPath" in joined
    assert "capture.cookie_value" in joined


def test_bad_data_rows_are_refused_with_their_line():
    text = HEAD + """
[[data]]
country = "GB"
offer = "x"

[[data]]
country = "DE"
"""
    assert problems(text) == [
        "s.toml:20: data row 2: every row needs the same names as row 1 (country, offer); "
        "missing offer"
    ]


def test_version_1_examples_load_unchanged():
    for path in sorted((ROOT / "examples").glob("*.toml")):
        scenario = load_scenario(path)
        assert scenario.version == 1 and scenario.data is None


async def test_captures_checks_and_a_retry_pass_on_the_sandbox(sandbox):
    scenario = load_scenario(CHECKED)
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]
    assert [s.attempts for s in result.steps] == [1, 1, 1]


async def test_a_failed_check_shows_expected_actual_and_where(sandbox):
    text = CHECKED.read_text("utf-8").replace("count = 1", "count = 5")
    scenario = parse_scenario(text, "c.toml")
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    failure = result.steps[0].failures[0]
    assert (failure.field, failure.expected, failure.actual) == (
        "check $.order.orderItems", "5", "1")
    assert failure.source == "count = 5" and failure.column == 0
    assert text.splitlines()[failure.line - 1] == "count = 5"
    assert result.steps[1].passed  # a failed check does not stop the scenario


async def test_a_retry_repeats_the_step_until_its_checks_pass(sandbox, monkeypatch):
    scenario = load_scenario(CHECKED)
    async with client_for(sandbox) as client:
        real = client.validate
        calls = []

        async def flaky(basket_id):
            calls.append(basket_id)
            if len(calls) < 3:
                raise errors.UpstreamError("try again", status=502)
            return await real(basket_id)

        monkeypatch.setattr(client, "validate", flaky)
        result = await run_scenario(scenario, client)
    assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]
    assert result.steps[2].attempts == 3 and len(calls) == 3


async def test_a_retry_gives_up_after_n_more_tries(sandbox):
    text = CHECKED.read_text("utf-8").replace('contains = "Digital Monthly"',
                                              'contains = "Nothing"')
    scenario = parse_scenario(text, "c.toml")
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    assert result.steps[2].verdict == "failed" and result.steps[2].attempts == 4


async def test_data_rows_and_given_variables_fill_the_references(sandbox):
    scenario = load_scenario(TABLE, variables=set())
    assert len(scenario.data) == 3
    async with client_for(sandbox) as client:
        for row in scenario.data:
            result = await run_scenario(scenario, client, variables=row, case="x")
            assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]
        wrong = await run_scenario(scenario, client, variables={**scenario.data[0],
                                                                "currency": "EUR"})
    assert wrong.steps[0].failures[0].expected == '"EUR"'


async def test_an_undefined_variable_at_run_time_is_an_error(sandbox):
    scenario = load_scenario(TABLE)  # variables not known when loading: checked when used
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    assert "${country} is not defined" in result.steps[0].error
    assert result.steps[1].skipped


async def test_header_and_cookie_captures_come_from_the_reply_as_sent(sandbox):
    text = HEAD + """[steps.capture]
kind = { header = "content-type" }
landing = { cookie = "limio-landing-state" }

[[steps]]
action = "initiate"
[steps.body.order]
external_id = "qa-${uuid}"
country = "GB"
source = "${kind}"
order_type = "new"
tracking = { campaign = "${landing}" }
[[steps.body.order.orderItems]]
offer = { name = "Digital Monthly" }
[[steps.check]]
path = "$.order.source"
equals = "application/json"
[[steps.check]]
path = "$.order.tracking.campaign"
matches = "^[A-Za-z0-9_\\\\-=.%]{8,}$"
"""
    scenario = parse_scenario(text, "c.toml", variables=set())
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]
    # What reports show stays redacted: the cookie is masked in the log's copy.
    assert "limio-landing-state=***" in dict(result.steps[0].exchange.response_headers)[
        "set-cookie"]


async def test_a_capture_that_finds_nothing_fails_the_step(sandbox):
    text = HEAD + """[steps.capture]
missing = "$.order.nothing"
"""
    scenario = parse_scenario(text, "c.toml", variables=set())
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    failure = result.steps[0].failures[0]
    assert (failure.field, failure.expected, failure.actual) == (
        "capture missing", "a value at $.order.nothing", "nothing")
