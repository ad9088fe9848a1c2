"""The app shell: first paint, connecting in the background, help, themes, keys."""

from __future__ import annotations

from tui_app.screens.modals import HelpScreen
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.widgets.context_bar import ContextBar

from pilot import build_app, ready


async def test_with_nothing_configured_it_opens_on_the_sandbox(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.workspace.profile.name == SANDBOX_PROFILE_NAME
        bar = str(app.screen.query_one(ContextBar).render())
        assert "SANDBOX" in bar
        assert len(app.workspace.offers) >= 10


async def test_f1_shows_help_for_the_screen_in_view(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: (key, action) for key, action, binding_id in app.screen.bindings}
        # Every binding is listed with its key and its id, for rebinding.
        assert rows["app.validation"] == ("f5", "Validation")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_a_chosen_theme_is_remembered(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.theme == "basket-dark"
        app.theme = "high-contrast"
        await pilot.pause()
    again = build_app(tmp_path, sandbox)
    async with again.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert again.theme == "high-contrast"


async def test_a_broken_user_theme_is_reported_and_skipped(tmp_path, sandbox):
    themes = tmp_path / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\n')
    (tmp_path / "settings.toml").write_text('theme = "broken"\n')
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "mine" in app.available_themes and "broken" not in app.available_themes
        assert app.theme == "basket-dark"
        messages = " ".join(n.message for n in app._notifications)
        assert "not a colour" in messages and "not available" in messages


async def test_keys_can_be_rebound_in_settings(tmp_path, sandbox):
    (tmp_path / "settings.toml").write_text('[keys]\n"app.basket" = "f9"\n')
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert app.current_mode == "basket"


async def test_quitting_stops_the_embedded_sandbox(tmp_path):
    from tui_app.app import make_app
    from tui_app.sandbox import SandboxServer
    from tui_app.services.store.paths import AppPaths

    from sandboxed import embedded

    started = []

    def start():
        server = SandboxServer().start()
        started.append(server)
        return embedded(server, stop_with_app=True)

    app = make_app(AppPaths.resolve(tmp_path), start_sandbox=start)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert started[0]._thread is not None
    assert started[0]._thread is None  # stopped and joined


async def test_the_key_bar_shows_the_screens_keys_and_a_click_presses_one(tmp_path, sandbox):
    from tui_app.screens.validation import ValidationScreen
    from tui_app.widgets.key_bar import KeyBar

    from pilot import initiate

    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        bar = app.screen.query_one(KeyBar)
        assert "v Validate" not in str(bar.render())  # no basket: nothing to validate
        await initiate(pilot, ("Digital Monthly", 1))
        line = str(app.screen.query_one(KeyBar).render())
        assert "v Validate" in line and line.rstrip().endswith("^p palette")
        await pilot.click(KeyBar, offset=(line.index("v Validate"), 0))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ValidationScreen)


async def test_f1_answers_even_from_a_text_field_and_closes_its_own_dialog(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.screen.query_one("#filter").focus()  # the catalogue filter, a text field
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert len(app.screen_stack) == 2
        await pilot.press("f1")  # F1 again closes the help it opened, not a second one
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert len(app.screen_stack) == 1
        assert app.screen.query_one("#filter").value == ""  # nothing typed into the field
