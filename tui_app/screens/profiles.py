"""Profiles: where requests go and with which credentials.

The built-in sandbox is listed first and read-only; stored profiles are
created, edited, duplicated, tested and deleted here. What the user types is
checked field by field as they type, kept on a failed save, and never sent
anywhere but to a connection test they asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static

from tui_app.formatting import NAME_MAX, shown
from tui_app.screens.base import AppScreen
from tui_app.screens.modals import ConfirmScreen
from tui_app.services.api.tokens import describe_expiry
from tui_app.services.connection import (
    SANDBOX_PROFILE_NAME,
    ProfileNotUsable,
    auth_for,
    endpoint_for,
)
from tui_app.services.store.files import StoreError
from tui_app.services.workspace import ConnectionReport
from tui_app.widgets.profile_draft import Draft
from tui_app.widgets.profile_form import ProfileForm
from tui_app.widgets.profile_list import (
    NEW_KEY,
    SANDBOX_KEY,
    ProfileList,
    entries_for,
    name_of,
    stored_key,
)

SANDBOX_BLURB = "Embedded sandbox — runs inside this app on loopback; no credentials needed"
MESSAGE_MAX = 400  # why a connection test failed, in the server's words


def now() -> datetime:
    """The clock behind "expires 14:32 (in 52 min)", in local time. Tests
    replace it (module attribute) so what is on screen does not drift."""
    return datetime.now().astimezone()


def describe_token_expiry(expires_at: datetime, current: datetime) -> str:
    """'14:32 (in 52 min)'; the date too when it is not today."""
    local = expires_at.astimezone(current.tzinfo)
    shown = local.strftime("%H:%M" if local.date() == current.date() else "%Y-%m-%d %H:%M")
    return f"{shown} ({describe_expiry(expires_at, current)})"


def copy_name(name: str, taken: set[str]) -> str:
    candidate, n = f"{name} (copy)", 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


class ProfilesScreen(AppScreen):

    MODE = "profiles"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = ("use", "test", "save", "new_profile", "reveal")
    HELP = """
Connection profiles: where requests go, with which credentials.
The built-in sandbox comes first; it needs nothing, can't change.
↑/↓ in the list opens an entry; ctrl+n starts a new profile.
Each field is checked as you type; the reason shows under it.
ctrl+s (or Enter) saves; secrets go only to secrets.toml (0600).
Secrets stay masked (ctrl+r reveals what you typed); a stored one
is never shown: leave its field empty to keep it.
ctrl+t tests the form without saving; ctrl+o connects with it.
"""

    BINDINGS = [
        Binding("ctrl+n", "new_profile", "New", id="profiles.new"),
        Binding("ctrl+s", "save", "Save", id="profiles.save"),
        Binding("ctrl+t", "test", "Test connection", id="profiles.test"),
        Binding("ctrl+o", "use", "Use profile", id="profiles.use"),
        Binding("ctrl+r", "reveal", "Reveal/Hide", id="profiles.reveal"),
        Binding("f6", "duplicate", "Duplicate", id="profiles.duplicate"),
        Binding("f8", "delete", "Delete", id="profiles.delete"),
    ]

    DEFAULT_CSS = """
    ProfilesScreen #profiles-body { height: 1fr; }
    ProfilesScreen #profiles-side {
        width: 30; height: 1fr; border-right: vkey $panel-lighten-2;
    }
    ProfilesScreen #profiles-side > .pane-title { text-style: bold; padding: 0 1; }
    ProfilesScreen #profiles-main { width: 1fr; height: 1fr; }
    ProfilesScreen #editor, ProfilesScreen #editor > Vertical { height: auto; }
    ProfilesScreen #sandbox-view { height: auto; padding: 0 1; }
    ProfilesScreen #profile-actions {
        grid-size: 2; grid-gutter: 0 1; grid-rows: 1; height: auto; margin: 1 1 0 1;
    }
    /* Wide terminals: the test result beside the form instead of under it. */
    ProfilesScreen.wide #editor { layout: horizontal; }
    ProfilesScreen.wide #editor-left { width: 3fr; }
    ProfilesScreen.wide #editor-right { width: 2fr; }
    ProfilesScreen.wide #profile-actions { grid-size: 3; }
    ProfilesScreen.wide #test-result { margin-top: 0; }
    ProfilesScreen #profile-actions Button { width: 1fr; }
    ProfilesScreen #test-result {
        display: none; height: auto; margin: 1 1 0 1; padding: 0 1; border: round $primary;
    }
    ProfilesScreen #test-result.shown { display: block; }
    """

    # Buttons that only make sense for a stored (or new) profile.
    _EDIT_ONLY = ("save", "reveal", "duplicate", "delete")

    def __init__(self) -> None:
        super().__init__()
        self.current_key: str | None = None  # the list entry shown on the right
        self._complaint = False  # the error panel lists the form's problems
        self._complaint_prefix = "Not saved"  # … or "Not tested"

    # ------------------------------------------------------------- layout

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="profiles-body"):
            with Vertical(id="profiles-side"):
                yield Label("Profiles", classes="pane-title")
                yield ProfileList(id="profile-list")
            with VerticalScroll(id="profiles-main"), Container(id="editor"):
                with Vertical(id="editor-left"):
                    yield Static(id="sandbox-view")
                    yield ProfileForm(id="profile-form")
                    with Grid(id="profile-actions"):
                        yield Button("Save", id="save", variant="primary", compact=True)
                        yield Button("Test connection", id="test", compact=True)
                        yield Button("Use this profile", id="use", compact=True)
                        yield Button("Reveal", id="reveal", compact=True)
                        yield Button("Duplicate", id="duplicate", compact=True)
                        yield Button("Delete", id="delete", variant="error", compact=True)
                with Vertical(id="editor-right"):
                    yield Static(id="test-result")

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    @property
    def profile_list(self) -> ProfileList:
        return self.query_one(ProfileList)

    def on_mount(self) -> None:
        active = self.workspace.profile
        self._open(self._key_for(active.name) if active else SANDBOX_KEY)
        self.follow_context(self._context_changed)
        self.profile_list.focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 120, "wide")

    def _context_changed(self, _version: int = 0) -> None:
        self._refresh_list()
        if self.current_key == SANDBOX_KEY:
            self._show_sandbox()

    def _refresh_list(self) -> None:
        active = self.workspace.profile.name if self.workspace.profile else None
        entries = entries_for(SANDBOX_PROFILE_NAME, self.workspace.profiles.profiles(), active)
        self.profile_list.show(entries, self.current_key)

    @staticmethod
    def _key_for(name: str) -> str:
        return SANDBOX_KEY if name == SANDBOX_PROFILE_NAME else stored_key(name)

    # ------------------------------------------------------------- choosing an entry

    @on(OptionList.OptionHighlighted, "#profile-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id
        if key is None or key == self.current_key:
            return
        self._leave_then(lambda: self._open(key), on_stay=self._rehighlight)

    @on(OptionList.OptionSelected, "#profile-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on an entry: straight to its first field (the sandbox: to Use)."""
        if event.option.id != self.current_key:
            return  # still waiting for "discard changes?"
        target = "#name" if self._editing() else "#use"
        self.query_one(target).focus()

    def _editing(self) -> bool:
        return self.current_key != SANDBOX_KEY

    def _leave_then(
        self, go: Callable[[], None], on_stay: Callable[[], None] | None = None
    ) -> None:
        """Run ``go`` at once, or after the user agrees to drop unsaved edits."""
        if not (self._editing() and self.form.dirty):
            go()
            return
        name = name_of(self.current_key or "") or "the new profile"

        def decided(discard: bool | None) -> None:
            if discard:
                go()
            elif on_stay is not None:
                on_stay()

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes?",
                f"The changes to {name} are not saved. Discard them?",
                "Discard",
            ),
            decided,
        )

    def _rehighlight(self) -> None:
        self._refresh_list()

    def _open(self, key: str) -> None:
        """Show one entry on the right, with nothing left over from the last."""
        store = self.workspace.profiles
        name = name_of(key)
        if name is not None and store.get(name) is None:
            key, name = SANDBOX_KEY, None
        self.current_key = key
        self._show_result(None)
        self.error_panel.clear()
        self._complaint = False
        editing = key != SANDBOX_KEY
        self.query_one("#sandbox-view").display = not editing
        self.form.display = editing
        for button_id in self._EDIT_ONLY:
            self.query_one(f"#{button_id}").display = editing
        others = {p.name for p in store.profiles()} - {name}
        if key == SANDBOX_KEY:
            self._show_sandbox()
        elif name is None:
            self.form.load(Draft(), title="New profile", taken=others)
        else:
            self._load_stored(name, others)
        self._reveal_label()
        if self.is_mounted:
            self._refresh_list()

    def _load_stored(self, name: str, others: set[str] | None = None) -> None:
        store = self.workspace.profiles
        profile = store.get(name)
        assert profile is not None
        if others is None:
            others = {p.name for p in store.profiles()} - {name}
        self.form.load(
            Draft.from_profile(profile),
            title=f"Profile “{name}”",
            taken=others,
            stored=store.secrets_for(name),
            show_all=True,
        )

    def _show_sandbox(self) -> None:
        workspace = self.workspace
        sandbox = workspace.sandbox
        if sandbox is not None:
            client_id = sandbox.client_id
        elif self.bb.sandbox_pending:
            client_id = "(starting…)"
        else:
            client_id = "(not running)"
        text = Text()
        text.append(f"{SANDBOX_PROFILE_NAME}\n", style="bold")
        text.append(f"{SANDBOX_BLURB}\n\n")
        rows = [("In use", "● active" if workspace.is_sandbox else "no"),
                ("Client id", shown(client_id))]
        for title, value in rows:
            text.append(f"{title:<11}", style="bold")
            text.append(f"{value}\n")
        text.append(
            "\nBuilt in and read-only: it cannot be edited, duplicated or deleted. "
            "Press ctrl+n for a profile of your own.",
            style="dim",
        )
        self.query_one("#sandbox-view", Static).update(text)

    # ------------------------------------------------------------- actions

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions: dict[str, Callable[[], object]] = {
            "save": self.action_save,
            "test": self.action_test,
            "use": self.action_use,
            "reveal": self.action_reveal,
            "duplicate": self.action_duplicate,
            "delete": self.action_delete,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    @on(ProfileForm.Edited)
    def _edited(self, event: ProfileForm.Edited) -> None:
        # A "not saved" complaint names what is wrong now, and goes once
        # every field is fine again.
        if not self._complaint:
            return
        check = event.check
        if self._complaint_prefix == "Not tested":
            check = self.form.check(for_test=True)
        if check.ok:
            self._complaint = False
            self.error_panel.clear()
        else:
            self.error_panel.show_message(f"{self._complaint_prefix} — {check.summary()}")

    def _complain(self, message: str) -> None:
        self._complaint = True
        self._complaint_prefix = message.split(" — ", 1)[0]
        self.error_panel.show_message(message)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_new_profile(self) -> None:
        def go() -> None:
            self._open(NEW_KEY)
            self.query_one("#name", Input).focus()

        if self.current_key == NEW_KEY:  # already there: keep what was typed
            self.query_one("#name", Input).focus()
        else:
            self._leave_then(go)

    def action_save(self) -> None:
        key = self.current_key or SANDBOX_KEY
        if key == SANDBOX_KEY:
            self.error_panel.show_message(
                "The embedded sandbox is built in and cannot be edited; "
                "press ctrl+n to create a profile of your own."
            )
            return
        check = self.form.reveal_all_checks()
        if not check.ok or check.profile is None:
            self._complain(f"Not saved — {check.summary()}")
            self.form.focus_first_problem(check)
            return
        store = self.workspace.profiles
        original, profile = name_of(key), check.profile
        try:
            if original is not None and original != profile.name:
                store.rename(original, profile.name)
            store.put(profile, check.new_secrets)
        except ValueError as exc:  # pydantic's ValidationError is one too
            self.error_panel.show_message(f"Not saved: {exc}")
            return
        self.current_key = stored_key(profile.name)
        if not self._write(f"Profile {profile.name!r} is changed here but"):
            self._refresh_list()
            return
        self._load_stored(profile.name)
        self.notify(f"Saved profile {profile.name!r}.", timeout=4, markup=False)
        active = self.workspace.profile
        if active is not None and active.name in (original, profile.name):
            self.notify(
                "It is the profile in use: press ctrl+o to reconnect with the changes.",
                timeout=8,
                markup=False,
            )
        self.bb.context_changed()

    def _write(self, what: str) -> bool:
        """Save the store to disk; say so (and keep everything on screen) if it fails."""
        try:
            notes = self.workspace.profiles.save()
        except StoreError as exc:
            self.error_panel.show_message(f"{what} could not be written: {exc}")
            return False
        self.error_panel.clear()
        for note in notes:
            self.notify(shown(note), title="Profiles", severity="warning", timeout=10,
                        markup=False)
        return True

    def action_test(self) -> None:
        key = self.current_key or SANDBOX_KEY
        if key == SANDBOX_KEY:
            try:
                profile, secrets = self.workspace.resolve(SANDBOX_PROFILE_NAME)
            except ProfileNotUsable as exc:
                self.error_panel.show_error(exc)
                return
        else:
            check = self.form.check(for_test=True)
            if not check.ok or check.profile is None or check.secrets is None:
                self.form.reveal_all_checks()
                self._complain(f"Not tested — {check.summary()}")
                self.form.focus_first_problem(check)
                return
            profile, secrets = check.profile, check.secrets

        def done(report: ConnectionReport) -> None:
            if self.current_key == key:  # the user may have moved on meanwhile
                self._show_result(report)

        self._complaint = False
        self.call_api(
            "Testing the connection",
            lambda: self.workspace.test_connection(profile, secrets),
            on_done=done,
        )

    def _show_result(self, report: ConnectionReport | None) -> None:
        panel = self.query_one("#test-result", Static)
        if report is None:
            panel.update("")
            panel.remove_class("shown")
            return
        text = Text()
        if report.ok:
            text.append("✓ Reachable", style="bold")
            # The organisation is the tenant's (from its token): shown as text.
            rows = [
                ("Organisation", shown(report.organisation or "not named in the token", NAME_MAX)),
                (
                    "Token expires",
                    describe_token_expiry(report.expires_at, now())
                    if report.expires_at
                    else "not stated in the token",
                ),
                ("Offers", str(report.offers) if report.offers is not None else "?"),
            ]
            for title, value in rows:
                text.append(f"\n{title:<14}", style="bold")
                text.append(value)
        else:
            text.append("✗ Not reachable\n", style="bold")
            text.append(shown(report.message, MESSAGE_MAX))  # the server's words
        panel.update(text)
        panel.add_class("shown")
        # At 80×24 the result is under the form: bring it into view.
        self.call_after_refresh(panel.scroll_visible, animate=False)

    def action_use(self) -> None:
        key = self.current_key or SANDBOX_KEY
        if key == NEW_KEY:
            self.error_panel.show_message("Save the new profile first (ctrl+s), then use it.")
            return
        if key != SANDBOX_KEY and self.form.dirty:
            self.error_panel.show_message(
                "This profile has unsaved changes: save them (ctrl+s) first, "
                "or they would not be used."
            )
            return
        name = name_of(key) or SANDBOX_PROFILE_NAME
        try:
            profile, secrets = self.workspace.resolve(name)
            # Refuse here, on this screen, what the connection would refuse.
            endpoint_for(profile)
            auth_for(profile, secrets)
        except ProfileNotUsable as exc:
            self.error_panel.show_error(exc)
            return
        if self.workspace.profile == profile:
            self.notify(f"{shown(name, NAME_MAX)} is already in use.", timeout=3, markup=False)
            self.app.switch_mode("offers")
            return
        # Switch first: the catalogue loads (and the resume offer appears) there.
        if self.call_api("Connecting", lambda: self.bb.connect(name)):
            self.app.switch_mode("offers")

    def action_reveal(self) -> None:
        if not self._editing():
            return
        self.form.set_revealed(not self.form.revealed)
        self._reveal_label()

    def _reveal_label(self) -> None:
        revealed = self._editing() and self.form.revealed
        self.query_one("#reveal", Button).label = "Hide" if revealed else "Reveal"

    def action_duplicate(self) -> None:
        key = self.current_key or SANDBOX_KEY
        name = name_of(key)
        if key == SANDBOX_KEY:
            self.error_panel.show_message(
                "The embedded sandbox is built in and cannot be duplicated "
                "(its address changes every run); press ctrl+n for a profile of your own."
            )
            return
        if name is None:
            self.error_panel.show_message("Save the new profile first (ctrl+s); then duplicate it.")
            return
        self._leave_then(lambda: self._duplicate(name))

    def _duplicate(self, name: str) -> None:
        store = self.workspace.profiles
        original = store.get(name)
        if original is None:
            return
        new_name = copy_name(name, {p.name for p in store.profiles()})
        try:
            copy = type(original).model_validate({**original.model_dump(), "name": new_name})
        except ValueError as exc:
            self.error_panel.show_message(f"Not duplicated: {exc}")
            return
        store.put(copy, store.secrets_for(name))
        self._open(stored_key(new_name))
        if self._write(f"The copy {new_name!r} exists here but"):
            self.notify(f"Duplicated as {new_name!r}.", timeout=4, markup=False)
        self.bb.context_changed()

    def action_delete(self) -> None:
        key = self.current_key or SANDBOX_KEY
        name = name_of(key)
        if key == SANDBOX_KEY:
            self.error_panel.show_message("The embedded sandbox is built in and cannot be deleted.")
            return
        if name is None:
            self.error_panel.show_message(
                "This profile is not saved yet: there is nothing to delete."
            )
            return

        def decided(delete: bool | None) -> None:
            if delete:
                self._delete(name)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete profile {name!r}?",
                "Its settings and its stored secret are removed from this computer. "
                "This cannot be undone.",
                "Delete",
            ),
            decided,
        )

    def _delete(self, name: str) -> None:
        store = self.workspace.profiles
        # Show the entry that takes the deleted one's place in the list.
        keys = [SANDBOX_KEY] + [stored_key(p.name) for p in store.profiles() if p.name != name]
        position = next(
            (i for i, p in enumerate(store.profiles(), start=1) if p.name == name), 0
        )
        store.delete(name)
        self._open(keys[min(position, len(keys) - 1)])
        if self._write(f"Profile {name!r} is deleted here but"):
            self.notify(f"Deleted profile {name!r}.", timeout=4, markup=False)
        active = self.workspace.profile
        if active is not None and active.name == name:
            self.notify(
                f"{name!r} stays connected until you use another profile.",
                timeout=8,
                markup=False,
            )
        self.bb.context_changed()

    # ------------------------------------------------------------- command palette

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("New profile", "Start a blank connection profile",
                            self.action_new_profile)
        yield SystemCommand("Duplicate profile", "Copy the selected profile as “… (copy)”",
                            self.action_duplicate)
        yield SystemCommand("Delete profile", "Delete the selected profile (asks first)",
                            self.action_delete)
        yield SystemCommand("Test connection", "Try the form's values without saving",
                            self.action_test)
        yield SystemCommand("Use this profile", "Connect with the selected profile",
                            self.action_use)
