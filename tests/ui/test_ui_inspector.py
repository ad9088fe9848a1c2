"""The Inspector, driven as a user drives it, against the real sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
from datetime import UTC, datetime

import pytest
from textual.widgets import Input

from tui_app.screens.curl_modal import CurlScreen
from tui_app.screens.inspector import InspectorScreen
from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.save_path import SavePathScreen
from tui_app.services.api import errors
from tui_app.services.api.exchange import Exchange
from tui_app.services.api.models import InitiateCheckout, InitiateOrder, OfferPayload, OrderItem
from tui_app.services.workspace import new_external_id
from tui_app.widgets.exchange_detail import ExchangeDetail, sections
from tui_app.widgets.exchange_format import status_words, summary
from tui_app.widgets.exchange_list import ExchangeList

from pilot import build_app, ready, settle


async def open_inspector(pilot, *, basket: bool = True) -> InspectorScreen:
    """Connect, initiate a basket through the workspace, show the inspector."""
    app = await ready(pilot)
    if basket:
        offer = next(o for o in app.workspace.offers if o.display_name == "Digital Monthly")
        order = InitiateOrder(
            orderItems=[OrderItem(offer=OfferPayload(id=offer.id, version=offer.version),
                                  quantity=1, type=offer.item_type)],
            external_id=new_external_id(), country="GB", source="ui-test", order_type="new",
        )
        await app.workspace.initiate(InitiateCheckout(order=order))
        app.context_changed()
    await app.switch_mode("inspector")
    await settle(pilot)
    assert isinstance(app.screen, InspectorScreen)
    return app.screen


def rows(screen: InspectorScreen) -> list[tuple[str, str, str]]:
    """(id, status, path) of each row, top to bottom, as shown."""
    table = screen.query_one(ExchangeList)
    shown = []
    for index in range(table.row_count):
        cells = [str(cell) for cell in table.get_row_at(index)]
        shown.append((cells[0], cells[3], cells[6]))
    return shown


def detail(screen: InspectorScreen) -> ExchangeDetail:
    return screen.query_one(ExchangeDetail)


async def select(pilot, screen: InspectorScreen, path_end: str) -> Exchange:
    table = screen.query_one(ExchangeList)
    index = next(i for i, row in enumerate(rows(screen)) if row[2].endswith(path_end))
    table.move_cursor(row=index)
    await pilot.pause()
    assert table.highlighted is not None
    return table.highlighted


def secrets(app) -> list[str]:
    basket = app.workspace.basket
    return [app.workspace.client.auth.current.value, app.workspace.sandbox.client_secret,
            *app.workspace.cookies.get(basket.basket_id).values()]


async def test_every_call_is_listed_newest_first_with_its_status_in_words(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        shown = rows(screen)
        assert [int(row[0]) for row in shown] == sorted((int(r[0]) for r in shown), reverse=True)
        assert [row[2] for row in shown][:3] == [
            "/api/partner/checkout/initiate", "/api/offers/v2?opt.pageSize=50", "/oauth2/token"]
        assert all(row[1] == "200 OK" for row in shown)
        # A call made while the inspector is open appears at once, on top, selected.
        with pytest.raises(errors.BasketNotFound):
            await app.workspace.client.validate("basket-" + "0" * 36)
        await settle(pilot)
        top = rows(screen)[0]
        assert top[1] == "404 Not Found" and "/validate/" in top[2]
        assert screen.query_one(ExchangeList).highlighted.status == 404
        assert "404 Not Found" in detail(screen).query_one("#exchange-summary").render().plain


def test_a_call_without_a_reply_says_it_failed_and_why():
    failed = Exchange(id=1, started_at=datetime.now(UTC), method="GET", url="https://x/api",
                      request_headers=[], request_body="", error="Timed out: no reply")
    assert status_words(failed) == "— failed: Timed out: no reply"
    assert summary(failed) == "#1 GET /api → failed: Timed out: no reply"
    headings = [block.heading.plain for block in sections(failed)]
    assert "Response — failed: Timed out: no reply" in headings


async def test_the_selected_exchange_shows_headers_and_a_pretty_body(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        await select(pilot, screen, "/initiate")
        text = detail(screen).shown_text
        basket_id = app.workspace.basket.basket_id
        assert "POST http://" in text and "/api/partner/checkout/initiate" in text
        assert "content-type: application/json" in text
        assert f'  "id": "{basket_id}",' in text.splitlines()  # indented, one key a line
        assert "Response — 200 OK" in text
        assert "authorization: Bearer ***" in text


async def test_find_narrows_the_exchange_to_matching_lines(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        await select(pilot, screen, "/initiate")
        everything = detail(screen).shown_text.splitlines()
        await pilot.press("slash")
        assert screen.query_one("#exchange-find", Input).has_focus
        await pilot.press(*"country")
        await pilot.pause()
        narrowed = detail(screen).shown_text.splitlines()
        assert len(narrowed) < len(everything) / 3
        matching = [line for line in narrowed if "country" in line.lower()]
        assert len(matching) >= 2  # in the request body and in the reply
        counter = str(detail(screen).query_one("#exchange-matches").render())
        assert counter == f"{detail(screen).match_count} matches in {len(matching)} lines"
        await pilot.press("z")
        await pilot.pause()
        assert str(detail(screen).query_one("#exchange-matches").render()) == "no match"
        await pilot.press("escape")  # clears the find box and goes back to the list
        await pilot.pause()
        assert screen.query_one(ExchangeList).has_focus
        assert detail(screen).shown_text.splitlines() == everything


async def test_secrets_show_only_on_request_and_hide_on_moving(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        token = app.workspace.client.auth.current.value
        cookie = next(iter(app.workspace.cookies.get(app.workspace.basket.basket_id).values()))
        await select(pilot, screen, "/initiate")
        assert token not in detail(screen).shown_text
        assert cookie not in detail(screen).shown_text
        assert not detail(screen).query_one("#exchange-secrets").display
        await pilot.press("r")
        await pilot.pause()
        assert f"authorization: Bearer {token}" in detail(screen).shown_text
        assert cookie in detail(screen).shown_text  # the landing-state cookie it set
        banner = detail(screen).query_one("#exchange-secrets")
        assert banner.display and "SECRETS SHOWN" in str(banner.render())
        await pilot.press("down")  # another exchange: hidden again
        await pilot.pause()
        assert token not in detail(screen).shown_text
        assert not detail(screen).query_one("#exchange-secrets").display
        await pilot.press("up")
        await pilot.pause()
        assert token not in detail(screen).shown_text  # coming back does not reveal it
        await pilot.press("r", "r")  # the same key hides it again
        await pilot.pause()
        assert token not in detail(screen).shown_text
        await pilot.press("r")
        await pilot.pause()
        assert token in detail(screen).shown_text
        await app.switch_mode("offers")  # leaving the screen hides it too
        await app.switch_mode("inspector")
        await pilot.pause()
        assert token not in detail(screen).shown_text


async def test_copy_as_curl_shows_a_command_without_the_token_and_saves_a_script(
    tmp_path, sandbox, monkeypatch
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = build_app(tmp_path / "config", sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        exchange = await select(pilot, screen, "/initiate")
        token = app.workspace.client.auth.current.value
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, CurlScreen)
        shown = str(modal.query_one("#curl-command").render())
        assert "$LIMIO_TOKEN" in shown and token not in shown
        assert "$LIMIO_TOKEN" in str(modal.query_one("#curl-note").render())
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == modal.command
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SavePathScreen)
        assert app.screen.query_one(Input).value == f"basket-builder-{exchange.id}.sh"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        script = work / f"basket-builder-{exchange.id}.sh"
        assert stat.S_IMODE(script.stat().st_mode) == 0o700
        content = script.read_text()
        assert content.startswith("#!/bin/sh\n") and "export LIMIO_TOKEN" in content
        assert token not in content
        # Saving again asks before replacing the file.
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "exists" in str(app.screen.query_one("#save-problem").render())
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is screen
    if shutil.which("curl"):
        # The saved script really replays the call.
        result = await asyncio.to_thread(
            subprocess.run, [str(script)], env={"PATH": os.environ["PATH"], "LIMIO_TOKEN": token},
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["id"] == app.workspace.basket.basket_id


async def test_har_export_writes_a_file_without_secrets_and_says_where(
    tmp_path, sandbox, monkeypatch
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = build_app(tmp_path / "config", sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        screen.clock = lambda: datetime(2026, 3, 4, 5, 6, 7)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SavePathScreen)
        assert app.screen.query_one(Input).value == "basket-builder-20260304-050607.har"
        await pilot.press("enter")
        await pilot.pause()
        path = work / "basket-builder-20260304-050607.har"
        text = path.read_text("utf-8")
        for secret in secrets(app):
            assert secret not in text
        assert len(json.loads(text)["log"]["entries"]) == len(app.workspace.log)
        assert any(str(path) in n.message for n in app._notifications)
        # A folder that does not exist is refused next to the field; nothing is written.
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "no/such/folder/x.har"
        await pilot.press("enter")
        await pilot.pause()
        assert "does not exist" in str(app.screen.query_one("#save-problem").render())
        assert app.screen.query_one(Input).value == "no/such/folder/x.har"


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_it_renders_at_small_and_large_sizes(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=size) as pilot:
        screen = await open_inspector(pilot)
        table, pane = screen.query_one(ExchangeList), detail(screen)
        assert table.region.height >= 5 and pane.region.height >= 8
        assert table.region.width == pane.region.width == size[0]
        assert pane.query_one("#exchange-body").region.height >= 3
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CurlScreen)
        assert app.screen.query_one("#curl-copy").region.height > 0  # buttons in view
        await pilot.press("escape")
        await pilot.pause()


async def test_before_any_call_it_says_what_will_appear(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.workspace.log.clear()
        await app.switch_mode("inspector")
        await settle(pilot)
        summary = str(app.screen.query_one("#exchange-summary").render())
        assert "No exchange yet" in summary
        await pilot.press("c", "r", "e")  # nothing to act on: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)


async def test_every_action_is_in_the_palette_and_the_log_can_be_cleared(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Inspector: copy as curl", "Inspector: reveal secrets",
                "Inspector: find in this exchange", "Inspector: export HAR",
                "Inspector: clear the log"} <= titles
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert rows(screen) == [] and len(app.workspace.log) == 0
        assert "No exchange yet" in str(screen.query_one("#exchange-summary").render())
        titles = {command.title for command in app.get_system_commands(screen)}
        assert not any(title.startswith("Inspector:") for title in titles)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
async def test_export_lines_reach_the_clipboard_only_and_make_the_command_run(
    tmp_path, sandbox
):
    app = build_app(tmp_path / "config", sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inspector(pilot)
        await select(pilot, screen, "/initiate")
        token = app.workspace.client.auth.current.value
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        await pilot.press("e")
        await pilot.pause()
        exports = app.clipboard
        assert exports.startswith("export LIMIO_TOKEN=") and token in exports
        assert token not in app.export_screenshot()  # on the clipboard, never on screen
        assert any("values not shown" in str(n.message) for n in app._notifications)
        # Pasted before the copied command, it runs as it is: the sandbox's own token.
        result = await asyncio.to_thread(
            subprocess.run, ["sh", "-c", exports + modal.command],
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["id"].startswith("basket-")
