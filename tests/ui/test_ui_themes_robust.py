"""A theme that would break the stylesheet never reaches it: refused when
picked (not applied, not saved), and a saved one that broke since is reported
at start and replaced by the default. The app keeps running either way."""

from __future__ import annotations

import os
import tomllib

import pytest

from tui_app.services.store.settings import DEFAULT_THEME
from tui_app.themes import load_themes, theme_problem

from pilot import build_app, ready

BAD_VALUES = ["%%", "bold", "$no-such-variable", "{", "1 2 3"]


def write_theme(config, name: str, value: str) -> None:
    themes = config / "themes"
    themes.mkdir(parents=True, exist_ok=True)
    (themes / f"{name}.toml").write_text(
        f'name = "{name}"\nprimary = "#E6007E"\n'
        f'[variables]\n"block-cursor-background" = "{value}"\n'
    )


def messages(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def pick_theme(pilot, name: str) -> None:
    """ctrl+p → Theme → the theme's name → Enter, as a user picks one."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"theme")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.3)
    await pilot.press(*name)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.3)


@pytest.mark.parametrize("value", BAD_VALUES)
async def test_a_broken_theme_picked_in_the_palette_is_refused_and_not_saved(
    tmp_path, sandbox, value
):
    write_theme(tmp_path, "broken", value)
    write_theme(tmp_path, "fine", "#00FF00")
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "broken" in app.available_themes  # well-formed: it loads
        await pick_theme(pilot, "broken")
        assert app.is_running and app.return_code is None
        assert app.theme == DEFAULT_THEME
        assert "broken" not in app.available_themes  # no longer offered
        assert "themes/broken.toml" in messages(app) and "block-cursor-background" in messages(app)
        await pilot.pause()
        # A sound user theme is still taken, and remembered.
        app.theme = "fine"
        await pilot.pause()
        assert app.theme == "fine"
    settings = tomllib.loads((tmp_path / "settings.toml").read_text())
    assert settings["theme"] == "fine"


async def test_a_saved_theme_that_broke_since_is_reported_and_the_default_used(
    tmp_path, sandbox
):
    write_theme(tmp_path, "mine", "#00FF00")
    (tmp_path / "settings.toml").write_text('theme = "mine"\n')
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.theme == "mine"
    write_theme(tmp_path, "mine", "%%")  # edited by hand since
    for _ in range(2):  # and not just once: every start survives it
        again = build_app(tmp_path, sandbox)
        async with again.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            assert again.theme == DEFAULT_THEME
            assert "themes/mine.toml" in messages(again)
            assert f"using {DEFAULT_THEME}" in messages(again)
        assert again.return_code in (None, 0)


async def test_a_theme_nested_600_deep_is_reported_and_skipped(tmp_path, sandbox):
    themes = tmp_path / "themes"
    themes.mkdir(parents=True)
    (themes / "deep.toml").write_text('name = "deep"\nprimary = "#E6007E"\nx = ' + "[" * 600
                                      + "]" * 600 + "\n")
    (themes / "deeper.toml").write_text("a = " + "{b=" * 600 + "1" + "}" * 600 + "\n")
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "deep" not in app.available_themes
        assert "deep.toml" in messages(app) and "deeper.toml" in messages(app)
        assert "nested too deeply" in messages(app)


async def test_every_theme_shipped_with_the_app_passes_the_check(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        shipped = load_themes(None)
        assert shipped.themes and not shipped.warnings
        for theme in [*shipped.themes.values(), *app.available_themes.values()]:
            assert theme_problem(app, theme) is None, theme.name


async def test_a_theme_the_check_misses_is_rolled_back_not_fatal(tmp_path, sandbox, monkeypatch):
    write_theme(tmp_path, "sneaky", "%%")
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monkeypatch.setattr(app, "theme_problem", lambda _name: None)  # the check misses it
        app.theme = "sneaky"
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.theme == DEFAULT_THEME
        assert "sneaky" in messages(app) and "sneaky" not in app.available_themes
    settings = tomllib.loads((tmp_path / "settings.toml").read_text())
    assert settings["theme"] == DEFAULT_THEME


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_dotted_key_bomb_in_the_themes_folder_is_skipped_not_waited_on(tmp_path):
    from tui_app.themes import load_themes

    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "bomb.toml").write_text(
        "name = 'bomb'\nprimary = '#ff0000'\n" + ".".join(["a"] * 100_000) + " = 1\n"
    )
    loaded = load_themes(tmp_path)
    assert "bomb" not in loaded.themes
    assert any("pipe.toml" in w and "plain file" in w for w in loaded.warnings)
    assert any("bomb.toml" in w and "dotted key" in w for w in loaded.warnings)
