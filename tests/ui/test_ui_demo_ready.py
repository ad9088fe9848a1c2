"""Issue 12, "demo-ready", as a user hits it: what a key acts on is what is
seen, results show where they appear, errors are current, the catalogue
fits 80, 120 and 200 columns, and Scenarios starts on its file list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, RadioButton, Static
from textual.widgets._toast import Toast

from tui_app.screens.quantity import QuantityScreen
from tui_app.themes import builtin_theme_dir
from tui_app.widgets.basket_table import BasketTable
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.key_bar import KeyBar
from tui_app.widgets.offer_catalogue import CatalogueTable
from tui_app.widgets.offer_picks import PickTable

from pilot import build_app, initiate, ready, screen_text, settle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AMOUNT = re.compile(r"(?:CA\$|A\$|[£€$])\d[\d,]*\.\d\d")
CUT = re.compile(r"(?:CA\$|A\$|[£€$])[\d,.]*")


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def error_text(app) -> str:
    panel = app.screen.query_one(ErrorPanel)
    return str(panel.render()) if panel.has_class("shown") else ""


def toasts(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def in_view(widget, container) -> bool:
    return container.region.contains_region(widget.region) and widget.region.height > 0


async def open_scenario(pilot, path: Path) -> None:
    """F9, the path typed in the path field, Enter."""
    await pilot.press("f9")
    await settle(pilot)
    field = pilot.app.screen.query_one("#scenario-path", Input)
    field.focus()
    field.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def until(pilot, condition, seconds: float = 4.0) -> None:
    """Let the app run until ``condition()`` holds, or ``seconds`` pass."""
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)


def cursor_in_view(table: DataTable) -> bool:
    top = int(table.scroll_y)
    rows = table.scrollable_content_region.height - table.header_height
    return top <= table.cursor_row < top + rows


# --------------------------------------------------------------- 2. what a key acts on


async def test_add_item_on_basket_lands_on_the_catalogue_and_stages_the_offer_in_view(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        table = app.screen.query_one(CatalogueTable)
        table.move_cursor(row=table.row_count - 1)  # a row far down, then leave
        await pilot.press("f4")
        await settle(pilot)
        table.move_cursor(row=2)  # the catalogue moved on while out of sight
        await pilot.press("a")
        await settle(pilot)
        assert app.current_mode == "offers"
        assert app.screen.focused is table
        assert cursor_in_view(table)
        highlighted = table.highlighted
        await pilot.press("ctrl+t")
        await settle(pilot)
        [staged] = app.workspace.staged
        assert staged.offerId == highlighted.id
        assert any(f"Staged: add {highlighted.display_name} ×1" in t for t in toasts(app))
        # Typing on the catalogue types into the filter: no key is lost.
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"arch")
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).value == "arch"
        assert app.screen.focused is app.screen.query_one("#filter")


def theme_names() -> list[str]:
    return sorted(path.stem for path in builtin_theme_dir().glob("*.toml"))


@pytest.mark.parametrize("theme", theme_names())
async def test_focus_on_the_catalogue_and_the_pick_list_shows_in_every_theme(
    tmp_path, sandbox, theme
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.theme = theme
        await pilot.pause()
        for table in (app.screen.query_one(CatalogueTable), app.screen.query_one(PickTable)):
            app.screen.query_one("#filter").focus()
            await pilot.pause()
            blurred = table.get_component_rich_style("datatable--header")
            table.focus()
            await pilot.pause()
            focused = table.get_component_rich_style("datatable--header")
            assert focused.bgcolor != blurred.bgcolor, (theme, type(table).__name__)


# --------------------------------------------------------------- 3. results in view


async def test_the_connection_test_result_is_scrolled_into_view_at_80x24(tmp_path, sandbox):
    org = sandbox.orgs[0]
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#name", Input).value = "Northwind local"
        screen.query_one("#kind-base_url", RadioButton).value = True  # below the fold
        await pilot.pause()
        for selector, value in (("#target", sandbox.base_url), ("#client-id", org.client_id),
                                ("#client-secret", org.client_secret)):
            screen.query_one(selector, Input).value = value
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        result = screen.query_one("#test-result")
        assert "✓ Reachable" in str(result.render())
        assert in_view(result, screen.query_one("#profiles-main"))


async def test_a_problem_under_the_order_form_is_scrolled_into_view_at_80x24(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.screen.query_one("#source", Input).value = ""
        app.screen.query_one("#filter").focus()
        await pilot.press("ctrl+s")  # no items, no source
        await settle(pilot)
        pane = app.screen.query_one("#order-pane")
        assert in_view(app.screen.query_one("#items-note"), pane)



async def test_notices_take_their_own_rows_and_cover_nothing_on_the_basket(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        await settle(pilot)
        app.screen.query_one(BasketTable).focus()
        await pilot.press("s", "x", "y")  # stage mode: the Staged actions panel shows
        await settle(pilot)
        app.notify("Copied the basket id: basket-1234")
        await pilot.pause()
        await pilot.pause()
        staged = app.screen.query_one("#basket-staged")
        key_bar = app.screen.query_one(KeyBar)
        toasts_on_screen = list(app.screen.query(Toast))
        assert toasts_on_screen, "no notice is shown"
        for toast in toasts_on_screen:
            assert not toast.region.overlaps(staged.region), "a notice covers the staged actions"
            assert not toast.region.overlaps(key_bar.region), "a notice covers the key bar"
            assert toast.region.width >= 70, "a notice is squeezed into a corner"
        assert "remove" in str(staged.render())
        assert "Copied the basket id" in screen_text(app)
# --------------------------------------------------------------- 4. errors are current


async def test_the_offers_complaint_shrinks_as_fields_are_fixed_and_goes(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        screen.query_one(CatalogueTable).focus()
        await pilot.press("enter")  # the first offer, into the list
        screen.query_one("#external-id", Input).value = ""
        screen.query_one("#source", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "external id: required" in error_text(app)
        assert "source: required" in error_text(app)
        screen.query_one("#external-id", Input).value = "demo-1"
        await pilot.pause()
        assert "external id" not in error_text(app)
        assert "source: required" in error_text(app)
        assert "\n" in error_text(app)  # a line per problem, real line breaks
        screen.query_one("#source", Input).value = "demo"
        await pilot.pause()
        assert error_text(app) == ""


async def test_the_profiles_complaint_names_only_what_is_still_wrong(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#target", Input).value = "acme.prod.limio.com"
        screen.query_one("#client-id", Input).value = "acme"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Name" in error_text(app) and "Client secret" in error_text(app)
        screen.query_one("#name", Input).value = "Acme"
        await pilot.pause()
        assert "Name" not in error_text(app) and "Client secret" in error_text(app)
        screen.query_one("#client-secret", Input).value = "s3cret"
        await pilot.pause()
        assert error_text(app) == ""


async def test_a_scenario_file_error_goes_when_another_path_is_typed(tmp_path, sandbox):
    broken = tmp_path / "broken.toml"
    broken.write_text('version = 1\nname = "x"\n\n[[steps]]\naction = "explode"\n')
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_scenario(pilot, broken)
        assert "broken.toml" in error_text(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert error_text(app) == ""


async def test_a_scenario_file_fixed_on_disk_is_checked_again_without_reopening(
    tmp_path, sandbox
):
    path = tmp_path / "scenario.toml"
    good = (EXAMPLES / "valid-basket.toml").read_text()
    path.write_text(good.replace('action = "initiate"', 'action = "explode"', 1))
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await ready(pilot)
        await open_scenario(pilot, path)
        assert "explode" in error_text(app)
        steps = app.screen.query_one("#scenario-steps", DataTable)
        assert steps.row_count == 0

        path.write_text(good)  # fixed in the user's editor
        await until(pilot, lambda: steps.row_count)  # looked at again within a second
        await pilot.pause()  # the notice is a message to the app: let it arrive
        assert error_text(app) == ""
        assert steps.row_count > 0
        assert "A valid basket in GB" in text_of(app, "#scenario-title")
        assert any("changed on disk" in message for message in toasts(app))

        path.write_text(good + "\n[[steps]]\n")  # broken again while open
        await until(pilot, lambda: error_text(app))
        assert "scenario.toml" in error_text(app)
        assert steps.row_count == 0, "steps of a file that no longer loads are still shown"
        assert "changed on disk" in text_of(app, "#scenario-title")


# --------------------------------------------------------------- 9. the catalogue's width


@pytest.mark.parametrize("width", [80, 120, 160, 200])
async def test_every_price_in_the_catalogue_is_whole_and_in_view(tmp_path, sandbox, width):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(width, 40)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(CatalogueTable)
        price = table.columns_shown.index("Price")
        for index in range(table.row_count):
            text = str(table.get_row_at(index)[price])
            for found in CUT.findall(text):
                assert AMOUNT.fullmatch(found), (width, text)
        # The price column ends inside the table: nothing is cut at its edge.
        columns = list(table.ordered_columns)
        right = sum(c.get_render_width(table) for c in columns[: price + 1])
        assert right <= table.scrollable_content_region.width
        # Nothing behind a sideways scroll, at any width.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        if width >= 200:  # room for every price of an offer, whole
            assert "Term" in table.columns_shown
            assert all("more" not in str(table.get_row_at(i)[price])
                       for i in range(table.row_count))
        # The highlighted offer's details are all under "Pick an offer".
        monthly = next(o for o in app.workspace.offers if o.display_name == "Digital Monthly")
        table.move_cursor(row=table.shown.index(monthly))
        await pilot.pause()
        details = text_of(app, "#pick-target")
        for amount in ("£9.99", "€11.99", "$12.99", "CA$13.99", "A$14.99"):
            assert amount in details
        assert "countries: GB, IE" in details and "Archive Access" in details
        assert "term monthly" in details and "quantity 1–10" in details


# --------------------------------------------------------------- 7. filter and picks


async def test_enter_in_the_filter_goes_to_the_first_match_and_says_so(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.screen.query_one("#filter").focus()
        await pilot.press(*"archive", "enter")
        await pilot.pause()
        table = app.screen.query_one(CatalogueTable)
        assert app.screen.focused is table and table.cursor_row == 0
        assert "cursor on Archive Access: Enter adds it" in text_of(app, "#catalogue-status")
        await pilot.press("enter")
        await pilot.pause()
        assert [pick.name for pick in app.screen.query_one(PickTable).picks] == [
            "Archive Access"
        ]


async def test_at_80x24_adding_a_pick_says_so_on_screen_and_what_comes_next(tmp_path, sandbox):
    """The pick list is below the fold at 80x24: the add is said where it is seen."""
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press(*"bundle", "enter", "enter")
        await pilot.pause()
        picks = app.screen.query_one(PickTable)
        assert not picks.region.intersection(app.screen.region).area  # out of sight
        text = screen_text(app).replace("\n", " ")
        assert "Added Print + Digital Bundle × 1" in text
        assert "ctrl+s initiates" in text


async def test_a_picks_quantity_can_be_changed_with_enter_or_c(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.screen.query_one(CatalogueTable).focus()
        await pilot.press("enter")
        picks = app.screen.query_one(PickTable)
        picks.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuantityScreen)
        await pilot.press("3", "enter")
        await pilot.pause()
        assert picks.picks[0].quantity == 3 and str(picks.get_row_at(0)[3]) == "3"
        assert app.screen.focused is picks
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("ctrl+a", "backspace", "9", "9", "enter")  # above the limit: refused
        await pilot.pause()
        assert isinstance(app.screen, QuantityScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert picks.picks[0].quantity == 3


# --------------------------------------------------------------- 10. scenarios' focus


async def test_scenarios_start_on_the_file_list_and_focus_stays_there(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        listing = app.screen.query_one("#scenario-list", OptionList)
        assert app.screen.focused is listing and listing.highlighted == 0
        wanted = next(i for i, o in enumerate(listing.options)
                      if str(o.prompt).endswith("valid-basket.toml"))
        for _ in range(wanted):
            await pilot.press("down")
        assert listing.highlighted == wanted
        await pilot.press("enter")
        await settle(pilot)
        assert "step" in str(app.screen.query_one("#scenario-title", Static).render())
        assert app.screen.focused is listing and listing.highlighted == wanted
        # Away and back: still the list.
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert app.screen.focused is listing


async def test_the_line_over_the_catalogue_fits_80_columns_and_keeps_the_cursors_offer(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.screen.query_one("#filter").focus()
        await pilot.press("enter")  # the empty filter: to the catalogue's first offer
        await pilot.pause()
        status = next(line for line in screen_text(app).splitlines() if "catalogue" in line)
        assert status.strip() == (
            "14 items in the catalogue · cursor on Digital Monthly: Enter adds it")
        await pilot.press("ctrl+f", *"premium", "enter")
        await pilot.pause()
        status = next(line for line in screen_text(app).splitlines() if " match" in line)
        # Too long whole: the count takes its short form, the offer stays named.
        assert status.strip() == "1 of 14 match · cursor on Premium Digital Monthly: Enter adds it"
