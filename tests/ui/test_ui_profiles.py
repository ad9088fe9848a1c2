"""The profiles screen, driven as a user drives it, against the real sandbox."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from textual.widgets import Button, Input, OptionList

from tui_app.screens import profiles as profiles_screen
from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.profiles import ProfilesScreen, copy_name, describe_token_expiry
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets
from tui_app.widgets.context_bar import ContextBar
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.profile_draft import BASE_URL, Draft, check_draft
from tui_app.widgets.profile_form import STORED_PLACEHOLDER, ProfileForm

from pilot import build_app, ready, settle

SIZE = (100, 40)


# --------------------------------------------------------------------------- helpers


def seed(tmp_path, sandbox, name: str = "Northwind staging") -> None:
    """A stored profile on disk before the app starts, as a returning user has."""
    paths = AppPaths.resolve(tmp_path)
    paths.ensure()
    store = ProfileStore(paths)
    store.load()
    org = sandbox.orgs[0]
    store.put(
        Profile(name=name, base_url=sandbox.base_url, client_id=org.client_id),
        Secrets(client_secret=org.client_secret),
    )
    store.save()


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def error_text(app) -> str:
    panel = app.screen.query_one(ErrorPanel)
    return str(panel.render()) if panel.has_class("shown") else ""


def on_disk(tmp_path, which: str) -> dict:
    path = tmp_path / f"{which}.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


async def type_into(pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.press(*text)
    await pilot.pause()


async def paste_into(pilot, selector: str, text: str) -> None:
    """Long values (secrets, tokens) arrive as a paste would."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def new_profile(pilot, name: str, *, base_url: str) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    await paste_into(pilot, "#name", name)
    await pilot.click("#kind-base_url")
    await paste_into(pilot, "#target", base_url)


async def new_sandbox_profile(pilot, name: str, sandbox) -> None:
    """A new profile form filled with the sandbox's address and first org's credentials."""
    org = sandbox.orgs[0]
    await new_profile(pilot, name, base_url=sandbox.base_url)
    await paste_into(pilot, "#client-id", org.client_id)
    await paste_into(pilot, "#client-secret", org.client_secret)


async def highlight(pilot, name: str) -> None:
    entries = pilot.app.screen.query_one(OptionList)
    entries.focus()
    index = next(
        i for i in range(entries.option_count)
        if str(entries.get_option_at_index(i).prompt).startswith(name)
    )
    entries.highlighted = index
    await pilot.pause()


# --------------------------------------------------------------------------- the sandbox entry


async def test_the_sandbox_comes_first_and_cannot_be_edited_or_deleted(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        entries = app.screen.query_one(OptionList)
        first = str(entries.get_option_at_index(0).prompt)
        assert first.startswith(SANDBOX_PROFILE_NAME) and "● active" in first
        assert str(entries.get_option_at_index(1).prompt).startswith("Northwind staging")
        view = text_of(app, "#sandbox-view")
        assert "Embedded sandbox — runs inside this app on loopback; no credentials needed" in view
        assert sandbox.orgs[0].client_id in view
        # Nothing that changes from run to run, and never the secret.
        assert sandbox.base_url not in view and str(sandbox.bound_port) not in view
        assert sandbox.orgs[0].client_secret not in view
        assert not app.screen.query_one(ProfileForm).display

        await pilot.press("f8")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "cannot be deleted" in error_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "cannot be edited" in error_text(app)
        await pilot.press("f6")
        await pilot.pause()
        assert "cannot be duplicated" in error_text(app)
        assert [p.name for p in app.workspace.profiles.profiles()] == ["Northwind staging"]


# --------------------------------------------------------------------------- creating


async def test_a_new_client_credentials_profile_is_saved_with_its_secret_apart(tmp_path, sandbox):
    org = sandbox.orgs[0]
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await new_sandbox_profile(pilot, "Northwind local", sandbox)
        assert text_of(app, "#target-check") == "✓"
        assert error_text(app) == ""  # the complaint goes once all is fine
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert error_text(app) == ""

        profiles = on_disk(tmp_path, "profiles")["profiles"]
        assert profiles["Northwind local"] == {
            "base_url": sandbox.base_url,
            "auth": "client_credentials",
            "client_id": org.client_id,
            "timeout": 30.0,
        }
        assert org.client_secret not in (tmp_path / "profiles.toml").read_text()
        secrets = on_disk(tmp_path, "secrets")["profiles"]
        assert secrets["Northwind local"] == {"client_secret": org.client_secret}
        assert (tmp_path / "secrets.toml").stat().st_mode & 0o777 == 0o600

        # Saved: listed, and the secret is no longer on screen, only "stored".
        entries = app.screen.query_one(OptionList)
        assert any(
            str(entries.get_option_at_index(i).prompt).startswith("Northwind local")
            for i in range(entries.option_count)
        )
        secret = app.screen.query_one("#client-secret", Input)
        assert secret.value == "" and secret.placeholder == STORED_PLACEHOLDER


async def test_test_connection_shows_the_organisation_and_when_the_token_expires(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await new_sandbox_profile(pilot, "Northwind local", sandbox)
        await pilot.press("ctrl+t")
        await settle(pilot)
        result = text_of(app, "#test-result")
        assert "✓ Reachable" in result
        assert "Northwind Media" in result
        # The date is shown too when the expiry falls tomorrow (a run near midnight).
        assert re.search(r"Token expires\s+(\d{4}-\d\d-\d\d )?\d\d:\d\d \(in \d+ min\)",
                         result), result
        assert re.search(r"Offers\s+14", result)
        # Tested, not saved.
        assert app.workspace.profiles.get("Northwind local") is None
        assert not (tmp_path / "profiles.toml").exists()


async def test_a_wrong_secret_shows_the_refusal_and_keeps_what_was_typed(tmp_path, sandbox):
    org = sandbox.orgs[0]
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await new_profile(pilot, "Wrong secret", base_url=sandbox.base_url)
        await paste_into(pilot, "#client-id", org.client_id)
        await paste_into(pilot, "#client-secret", "not-the-secret")
        await pilot.press("ctrl+t")
        await settle(pilot)
        result = text_of(app, "#test-result")
        assert "✗ Not reachable" in result
        assert "Unauthorized (401)" in result and "wrong client secret" in result
        screen = app.screen
        assert screen.query_one("#name", Input).value == "Wrong secret"
        assert screen.query_one("#target", Input).value == sandbox.base_url
        assert screen.query_one("#client-id", Input).value == org.client_id
        assert screen.query_one("#client-secret", Input).value == "not-the-secret"


async def test_a_url_in_the_tenant_field_is_explained_and_not_saved(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await paste_into(pilot, "#name", "Acme")
        # The user pastes an address, then types the scheme in front of it.
        await paste_into(pilot, "#target", "acme.prod.limio.com")
        assert text_of(app, "#target-check") == "✓"
        await pilot.press("home", *"https://")
        await pilot.pause()
        check = text_of(app, "#target-check")
        assert check.startswith(
            "✗ the tenant is a hostname such as acme.prod.limio.com, without https://"
        )
        await paste_into(pilot, "#client-id", "acme-client")
        await paste_into(pilot, "#client-secret", "s3cret")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved" in error_text(app) and "Target" in error_text(app)
        assert app.workspace.profiles.get("Acme") is None
        assert not (tmp_path / "profiles.toml").exists()
        assert app.screen.query_one("#target", Input).value == "https://acme.prod.limio.com"
        assert app.screen.query_one("#client-secret", Input).value == "s3cret"
        # Fixing the field is enough to save.
        target = app.screen.query_one("#target", Input)
        target.value = "acme.prod.limio.com"
        await pilot.pause()
        assert text_of(app, "#target-check") == "✓"
        assert error_text(app) == ""  # the complaint goes once all is fine
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert on_disk(tmp_path, "profiles")["profiles"]["Acme"]["tenant"] == "acme.prod.limio.com"


async def test_names_must_be_unique_and_not_the_sandboxs(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await paste_into(pilot, "#name", "Northwind staging")
        assert text_of(app, "#name-check") == "✗ another profile already has this name"
        await paste_into(pilot, "#name", SANDBOX_PROFILE_NAME)
        assert "built-in sandbox" in text_of(app, "#name-check")
        await paste_into(pilot, "#timeout", "9000")
        assert text_of(app, "#timeout-check") == "✗ must be between 1 and 600 seconds"


async def test_a_bearer_token_profile_works(tmp_path, sandbox):
    token = sandbox.orgs[1].demo_token
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await new_profile(pilot, "Contoso token", base_url=sandbox.base_url)
        await pilot.click("#auth-bearer")
        await pilot.pause()
        assert not app.screen.query_one("#client-fields").display
        await paste_into(pilot, "#token", token)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "Contoso Publishing" in text_of(app, "#test-result")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert on_disk(tmp_path, "profiles")["profiles"]["Contoso token"]["auth"] == "bearer"
        assert on_disk(tmp_path, "secrets")["profiles"]["Contoso token"] == {"token": token}


# --------------------------------------------------------------------------- editing


async def test_editing_keeps_the_stored_secret_and_renames(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    secret = sandbox.orgs[0].client_secret
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await highlight(pilot, "Northwind staging")
        field = app.screen.query_one("#client-secret", Input)
        assert field.value == "" and field.placeholder == STORED_PLACEHOLDER
        assert text_of(app, "#client-secret-check") == "✓ the stored secret is kept"
        await paste_into(pilot, "#name", "Northwind renamed")
        await paste_into(pilot, "#timeout", "12")
        await pilot.press("ctrl+s")
        await pilot.pause()
        profiles = on_disk(tmp_path, "profiles")["profiles"]
        assert list(profiles) == ["Northwind renamed"]
        assert profiles["Northwind renamed"]["timeout"] == 12.0
        assert on_disk(tmp_path, "secrets")["profiles"] == {
            "Northwind renamed": {"client_secret": secret}
        }


async def test_unsaved_changes_are_not_dropped_by_moving_in_the_list(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await highlight(pilot, "Northwind staging")
        await paste_into(pilot, "#timeout", "45")
        await highlight(pilot, SANDBOX_PROFILE_NAME)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProfilesScreen)
        assert app.screen.query_one("#timeout", Input).value == "45"
        assert app.screen.query_one(ProfileForm).display


async def test_duplicate_and_delete_with_confirmation(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await highlight(pilot, "Northwind staging")
        await pilot.press("f6")
        await pilot.pause()
        assert set(on_disk(tmp_path, "profiles")["profiles"]) == {
            "Northwind staging", "Northwind staging (copy)"
        }
        assert "Northwind staging (copy)" in on_disk(tmp_path, "secrets")["profiles"]
        assert app.screen.query_one("#name", Input).value == "Northwind staging (copy)"

        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert "Northwind staging (copy)" in on_disk(tmp_path, "profiles")["profiles"]

        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert set(on_disk(tmp_path, "profiles")["profiles"]) == {"Northwind staging"}
        assert set(on_disk(tmp_path, "secrets")["profiles"]) == {"Northwind staging"}
        assert app.workspace.profiles.get("Northwind staging (copy)") is None


def test_copies_get_a_free_name():
    assert copy_name("Acme", {"Acme"}) == "Acme (copy)"
    assert copy_name("Acme", {"Acme", "Acme (copy)"}) == "Acme (copy 2)"


# --------------------------------------------------------------------------- using a profile


async def test_use_this_profile_switches_the_workspace(tmp_path, sandbox):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await highlight(pilot, "Northwind staging")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.current_mode == "offers"
        assert app.workspace.profile.name == "Northwind staging"
        assert app.workspace.offers
        bar = str(app.screen.query_one(ContextBar).render())
        assert "SANDBOX" not in bar and "Northwind staging" in bar

        # And back to the sandbox from its entry.
        await pilot.press("f2")
        await pilot.pause()
        entries = app.screen.query_one(OptionList)
        assert "● active" in str(entries.get_option_at_index(1).prompt)
        await highlight(pilot, SANDBOX_PROFILE_NAME)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.current_mode == "offers"
        assert app.workspace.is_sandbox


async def test_a_new_profile_must_be_saved_before_it_is_used(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n", "ctrl+o")
        await pilot.pause()
        assert app.current_mode == "profiles"
        assert "Save the new profile first" in error_text(app)
        assert app.workspace.is_sandbox


# --------------------------------------------------------------------------- secrets on screen


async def test_reveal_toggles_the_secret_mask(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await type_into(pilot, "#client-secret", "hush")  # typed, so masked as typed
        secret = app.screen.query_one("#client-secret", Input)
        assert secret.password
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not secret.password
        assert str(app.screen.query_one("#reveal", Button).label) == "Hide"
        await pilot.click("#reveal")
        await pilot.pause()
        assert secret.password
        assert str(app.screen.query_one("#reveal", Button).label) == "Reveal"


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_renders_at_small_and_large_sizes(tmp_path, sandbox, size):
    seed(tmp_path, sandbox)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        side = app.screen.query_one("#profiles-side")
        assert side.region.width == 30
        for name in (SANDBOX_PROFILE_NAME, "Northwind staging"):
            await highlight(pilot, name)
        await pilot.press("ctrl+n")
        await pilot.pause()
        form = app.screen.query_one("#profiles-main")
        assert form.region.width == size[0] - 30
        assert form.region.bottom <= size[1]
        app.screen.query_one("#name", Input).focus()
        await pilot.pause()
        assert app.screen.query_one("#name", Input).region.width > 10


# --------------------------------------------------------------------------- pieces


def test_token_expiry_reads_as_local_time_and_relative():
    here = timezone(timedelta(hours=1))
    now = datetime(2025, 3, 4, 12, 40, tzinfo=here)
    expires = datetime(2025, 3, 4, 12, 32, tzinfo=UTC)  # 13:32 here
    assert describe_token_expiry(expires, now) == "13:32 (in 52 min)"
    assert describe_token_expiry(expires + timedelta(days=3), now) == "2025-03-07 13:32 (in 3 days)"


async def test_the_expiry_clock_can_be_replaced(tmp_path, sandbox, monkeypatch):
    fixed = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(profiles_screen, "now", lambda: fixed)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await new_sandbox_profile(pilot, "Clock", sandbox)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert re.search(r"Token expires\s+\d{4}-\d\d-\d\d \d\d:\d\d \(in \d+ days\)",
                         text_of(app, "#test-result"))


def test_draft_checks_use_the_services_messages():
    draft = Draft(name="x", target_kind=BASE_URL, target="http://acme.example.com/api",
                  client_id="c", client_secret="s")
    check = check_draft(draft)
    assert check.problems["target"].startswith("plain http:// is only allowed for loopback")
    draft = Draft(name="x", target="acme.prod.limio.com", auth=AuthKind.BEARER,
                  cookie_template="nope")
    check = check_draft(draft, stored=Secrets(token="t"))
    assert "token" not in check.problems  # the stored token is kept
    assert check.problems["cookie_template"] == "must look like name={basket_id}"


def test_every_action_is_in_the_palette():
    screen = ProfilesScreen()
    titles = {command.title for command in screen.palette_commands()}
    assert titles == {
        "New profile", "Duplicate profile", "Delete profile", "Test connection",
        "Use this profile",
    }
