"""The replay engine and the recorder, against the real sandbox."""

from __future__ import annotations

import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import BearerAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.models import OrderAction
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.scenarios.loading import load_scenario, parse_scenario
from tui_app.services.scenarios.record import NothingToRecord, record_scenario, save_recording
from tui_app.services.scenarios.replay import Failure, run_scenario

from sandboxed import client_for, named, open_workspace, order

HEADER = 'version = 1\nname = "t"\n'

INITIATE = """
[[steps]]
name = "create"
action = "initiate"
[steps.body.order]
external_id = "test-${uuid}"
country = "GB"
source = "pytest"
order_type = "new"
[[steps.body.order.orderItems]]
offer = { name = "Digital Monthly" }
quantity = 2
[[steps.body.order.orderItems]]
offer = { name = "Digital Annual" }
"""


async def replay(server, text: str):
    async with client_for(server) as client:
        return await run_scenario(parse_scenario(HEADER + text, "t.toml"), client), client


async def test_references_resolve_to_what_earlier_steps_returned(sandbox):
    result, client = await replay(sandbox, INITIATE + """
[[steps]]
name = "change"
action = "update"
[[steps.body.orderActions]]
orderItemActionType = "change_quantity"
orderItemId = "${create.item:Digital Annual}"
quantity = "${create.items[0].quantity}"
[[steps.body.orderActions]]
orderItemActionType = "remove"
orderItemId = "${create.items[0].id}"
[steps.expect]
items = [{ offer = "Digital Annual", quantity = 2 }]

[[steps]]
name = "move"
action = "initiate"
[steps.body.order]
external_id = "${create.external_id}"
country = "DE"
source = "pytest"
order_type = "new"
[[steps.body.order.orderItems]]
offer = { id = "${change.items[0].offer.id}", version = "${change.items[0].offer.version}" }
[steps.expect]
items = [{ offer = "Digital Annual" }]
currency = "EUR"
country = "DE"

[[steps]]
action = "validate"
[steps.expect]
valid = true
""")
    assert [s.verdict for s in result.steps] == ["passed"] * 4, result.steps
    initiates = [e for e in client.log if e.path.endswith("/initiate")]
    # Same external id, so the same basket, now in Germany.
    assert initiates[0].response_body.split('"id":')[1][:50] == \
        initiates[1].response_body.split('"id":')[1][:50]
    assert '"external_id":"test-' in initiates[1].request_body.replace(" ", "")


async def test_an_edited_expectation_fails_with_what_differed(sandbox):
    text = INITIATE + """
[steps.expect]
items = [{ offer = "Digital Monthly", quantity = 3 }, { offer = "Digital Annual" }]
total = "118.98"
currency = "EUR"

[[steps]]
action = "validate"
[steps.expect]
valid = false
blocked = ["Digital Annual"]
errors = ["outdated_version"]
"""
    result, _ = await replay(sandbox, text)
    first, second = result.steps
    assert not result.passed and first.verdict == second.verdict == "failed"
    assert first.failures == [
        Failure("items", ["Digital Monthly×3", "Digital Annual"],
                ["Digital Monthly×2", "Digital Annual"]),
        Failure("currency", "EUR", "GBP"),  # the total, 118.98, is right
    ]
    assert second.failures == [
        Failure("valid", "false", "true"),
        Failure("blocked", ["Digital Annual"], []),
        Failure("errors", ["outdated_version"], []),
    ]


async def test_a_refused_call_passes_when_expected_and_stops_the_run_when_not(sandbox):
    refused = """
[[steps]]
action = "update"
[[steps.body.orderActions]]
orderItemActionType = "remove"
orderItemId = "no-such-item"
[steps.expect]
status = 502
message = "NO ITEM 'no-such-item'"
"""
    result, _ = await replay(sandbox, INITIATE + refused)
    assert result.passed and result.steps[1].status == 502

    result, _ = await replay(sandbox, INITIATE + refused.replace("status = 502\n", "")
                             .replace("message = \"NO ITEM 'no-such-item'\"\n", "")
                             + '\n[[steps]]\naction = "validate"\n')
    update, validate = result.steps[1:]
    assert update.failures[0].field == "status"
    assert update.failures[0].expected == "200"
    assert update.failures[0].actual.startswith("502 (orderActions[0].orderItemId: no item")
    assert validate.skipped and validate.error == "not run: step 2 (update) did not complete"


async def test_an_unknown_offer_name_is_an_error_with_a_suggestion(sandbox):
    result, _ = await replay(sandbox, INITIATE.replace('"Digital Annual"', '"Digital Anual"')
                             + '\n[[steps]]\naction = "validate"\n')
    first, second = result.steps
    assert first.verdict == "error" and first.exchange_id is None
    assert first.error == ("orderItems[1].offer: no offer named 'Digital Anual' in the "
                           "catalogue (did you mean 'Digital Annual'?)")
    assert second.verdict == "skipped"


async def test_no_server_is_an_error_and_a_refused_token_is_a_status(sandbox):
    async with CheckoutClient(Endpoint.from_base_url("http://127.0.0.1:9/api"),
                              BearerAuth("nobody-home")) as client:
        result = await run_scenario(parse_scenario(HEADER + INITIATE), client)
    assert result.steps[0].verdict == "error"
    assert "refused the connection" in result.steps[0].error

    negative = HEADER + """
[[steps]]
action = "initiate"
[steps.body.order]
external_id = "x"
country = "GB"
source = "pytest"
order_type = "new"
orderItems = [{ offer = { id = "a", version = "b" } }]
[steps.expect]
status = 401
message = "unauthorized"
"""
    async with CheckoutClient(Endpoint.from_base_url(sandbox.base_url),
                              BearerAuth("not-a-real-token")) as client:
        result = await run_scenario(parse_scenario(negative), client)
    assert result.passed and result.steps[0].status == 401
    assert "not-a-real-token" not in repr(result)


async def test_on_step_hears_of_every_step_as_it_ends(sandbox):
    heard = []

    async def note(step):
        heard.append((step.index, step.action, step.verdict))

    scenario = load_scenario("examples/blocked-country.toml")
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client, on_step=note)
    assert heard == [(1, "initiate", "passed"), (2, "validate", "passed")]
    assert all(step.exchange_id for step in result.steps)
    assert result.duration_ms >= sum(step.duration_ms for step in result.steps) * 0.9


# --------------------------------------------------------------------------- recording


async def make_journey(config_dir, sandbox):
    """A session as a QA tester would make it in the app."""
    workspace = open_workspace(config_dir, sandbox)
    await workspace.activate(SANDBOX_PROFILE_NAME)
    await workspace.load_catalogue()
    offers = named(workspace, "Digital Monthly", "Print + Digital Bundle", "Puzzles & Crosswords")
    await workspace.initiate(order(offers, quantities=[2, 1, 1]))
    items = workspace.basket.items
    await workspace.update([OrderAction.change_quantity(items[0].id, 3)])
    await workspace.update([OrderAction.add(named(workspace, "Digital Annual")[0].id)])
    added = workspace.basket.items[-1]
    await workspace.update([OrderAction.change_quantity(added.id, 2),
                            OrderAction.remove(items[2].id)])
    with pytest.raises(errors.UpstreamError):
        await workspace.update([OrderAction.remove(items[2].id)])
    await workspace.validate()
    await workspace.change_country("DE")
    await workspace.validate()
    return workspace


async def test_a_recorded_journey_replays_on_a_fresh_sandbox(tmp_path, sandbox, fresh_sandbox):
    workspace = await make_journey(tmp_path, sandbox)
    text = record_scenario(workspace.log, "Recorded journey", description="from a test")
    await workspace.aclose()

    path = tmp_path / "journey.toml"
    save_recording(path, text)
    scenario = load_scenario(path)
    assert [s.action for s in scenario.steps] == [
        "initiate", "update", "update", "update", "update", "validate", "initiate", "validate"
    ]
    assert '# Digital Monthly' in text and 'external_id = "${uuid}"' in text
    assert "${create.item:Puzzles & Crosswords}" in text
    assert "${update-3.item:Digital Annual}" in text  # added by step 3, changed by step 4
    assert 'external_id = "${create.external_id}"' in text  # the move to DE: same basket
    assert scenario.steps[4].expect.status == 502
    assert scenario.steps[7].expect.blocked == ["Print + Digital Bundle"]

    async with client_for(fresh_sandbox) as client:
        result = await run_scenario(scenario, client)
    assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]


async def test_a_recording_holds_no_token_secret_or_cookie(tmp_path, sandbox):
    workspace = await make_journey(tmp_path, sandbox)
    text = record_scenario(workspace.log, "Recorded journey")
    org = sandbox.orgs[0]
    token = workspace.client.auth.current.value
    cookies = workspace.cookies.get(workspace.basket.basket_id)
    assert token and cookies
    for secret in (token, org.client_secret, *cookies.values()):
        assert secret not in text
    assert "Authorization" not in text and "Bearer" not in text and "Cookie" not in text
    assert workspace.basket.basket_id not in text  # ids come back as references
    await workspace.aclose()


async def test_only_baskets_made_in_the_session_are_recorded(tmp_path, sandbox):
    first = open_workspace(tmp_path, sandbox)
    await first.activate(SANDBOX_PROFILE_NAME)
    await first.load_catalogue()
    with pytest.raises(NothingToRecord):
        record_scenario(first.log, "empty")  # catalogue reads and a token only
    await first.initiate(order(named(first, "Digital Monthly")))
    await first.aclose()

    second = open_workspace(tmp_path, sandbox)  # a new session resumes that basket
    await second.activate(SANDBOX_PROFILE_NAME)
    second.resume(second.resumable())
    await second.validate()
    with pytest.raises(NothingToRecord):
        record_scenario(second.log, "resumed")
    await second.aclose()


def test_a_resolved_body_is_a_deep_copy_with_every_string_changed():
    import copy
    import datetime

    from tui_app.services.scenarios.format import map_strings
    from tui_app.services.scenarios.replay import _resolved_copy

    stamp = datetime.datetime(2024, 1, 2, 3, 4)
    body = {"order": {"orderItems": [{"offer": {"name": "A"}, "quantity": 2, "ok": True},
                                     {"n": None, "f": 1.5, "t": ("x", ["y"])}],
                      "when": stamp, "external_id": "e-${uuid}"}}

    def change(text):
        return text.upper()

    made = _resolved_copy(body, change)
    assert made == map_strings(copy.deepcopy(body), change)
    assert made["order"]["external_id"] == "E-${UUID}" and made["order"]["when"] == stamp
    # Nothing mutable is shared with the step's own body.
    assert made["order"] is not body["order"]
    assert made["order"]["orderItems"][0] is not body["order"]["orderItems"][0]
    assert made["order"]["orderItems"][1]["t"][1] is not body["order"]["orderItems"][1]["t"][1]
