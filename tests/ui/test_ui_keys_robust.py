"""Key rebindings in settings.toml that cannot work are reported, never
silent: keys that are no key, ids that name no binding, keys taken from
another binding. ctrl+q always quits, and the nav bar shows the keys in use."""

from __future__ import annotations

import pytest

from tui_app.keymap import check_keymap, normalize_key
from tui_app.widgets.nav_bar import NavBar

from pilot import build_app, ready


def settings(config, keys: dict[str, str]) -> None:
    config.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(f'"{binding_id}" = "{value}"' for binding_id, value in keys.items())
    (config / "settings.toml").write_text(f"[keys]\n{lines}\n")


def nav(app) -> str:
    return str(app.screen.query_one(NavBar).render())


def key_messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Key bindings"]


async def quits_on(pilot, key: str) -> bool:
    await pilot.press(key)
    for _ in range(20):
        if not pilot.app.is_running:
            return True
        await pilot.pause(0.05)
    return False


async def test_bad_keys_and_unknown_ids_are_reported_and_ctrl_q_still_quits(tmp_path, sandbox):
    settings(tmp_path, {
        "app.quit": "????,,,",
        "app.qiut": "ctrl+x",
        "basket.remove": "delete,ctrl+dd",
        "offers.add_to_basket": ",,",
    })
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        reports = key_messages(app)
        assert len(reports) == 1  # one notice, listing each
        report = reports[0]
        assert report.startswith("settings.toml [keys]: 4 problems")
        assert "'????' is not a key — ignored; app.quit keeps its default key" in report
        assert '"app.qiut": no binding has this id — ignored (did you mean app.quit?)' in report
        assert "'ctrl+dd' is not a key — ignored\n" in report
        assert '"offers.add_to_basket" = ",,": no key given' in report
        assert "^q quit" in nav(app)
        assert await quits_on(pilot, "ctrl+q")


async def test_a_rebound_quit_key_is_shown_and_ctrl_q_still_quits(tmp_path, sandbox):
    settings(tmp_path, {"app.quit": "ctrl+x", "app.basket": "f10"})
    for key in ("ctrl+x", "ctrl+q"):
        app = build_app(tmp_path, sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await ready(pilot)
            line = nav(app)
            assert "^x quit" in line and "f10 Basket" in line, line
            assert key_messages(app) == []
            assert await quits_on(pilot, key), key


async def test_ctrl_q_cannot_be_given_to_anything_but_quitting(tmp_path, sandbox):
    settings(tmp_path, {"app.help": "ctrl+q", "basket.validate": "ctrl+q,w"})
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        report = key_messages(app)[0]
        assert "ctrl+q is kept for quitting — app.help keeps its default key" in report
        assert '"basket.validate" = "ctrl+q,w": ctrl+q is kept for quitting' in report
        assert "f1 help" in nav(app) and "^q quit" in nav(app)
        assert await quits_on(pilot, "ctrl+q")


async def test_a_key_taken_from_another_binding_is_reported(tmp_path, sandbox):
    settings(tmp_path, {"app.basket": "f9"})
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert key_messages(app) == [
            "settings.toml [keys]: 1 problem\n"
            "• \"app.basket\" = \"f9\": f9 was app.scenarios's key; app.scenarios loses it\n"
            "F1 lists the keys and binding ids of each screen."
        ]
        assert "f9 Basket" in nav(app)


@pytest.mark.parametrize(("written", "meant"), [
    ("ctrl+q", "ctrl+q"), ("Ctrl+Q", "ctrl+q"), ("shift+ctrl+up", "ctrl+shift+up"),
    ("F9", "f9"), ("?", "question_mark"), ("question_mark", "question_mark"),
    ("slash", "slash"), ("ctrl++", "ctrl+plus"), ("Z", "Z"), ("space", "space"),
    ("delete", "delete"), ("pagedown", "pagedown"),
])
def test_keys_are_read_as_textual_names_them(written, meant):
    assert normalize_key(written) == meant


@pytest.mark.parametrize("written", ["????", "", " ", "ctrl+", "cmd+q", "ctrl+ctrl+a",
                                     "ctrl+dd", "f99", "\x1b", "ctrl+q+x"])
def test_what_is_no_key_is_refused(written):
    assert normalize_key(written) is None


def test_a_rebound_quit_keeps_ctrl_q():
    keymap, problems = check_keymap({"app.quit": "ctrl+x", "app.help": "f1,,"})
    assert keymap == {"app.quit": "ctrl+x,ctrl+q", "app.help": "f1"} and problems == []
