"""The profile editor: one row per field, with the reason it is wrong (or ✓)
right under it, checked as the user types. Secrets are masked until the user
asks to reveal them, and a stored secret is never put back on screen."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Collapsible, Input, Label, RadioButton, RadioSet

from tui_app.formatting import NAME_MAX, shown
from tui_app.services.store.profiles import AuthKind, Secrets
from tui_app.widgets.plain_input import PlainInput
from tui_app.widgets.profile_draft import BASE_URL, FIELDS, TENANT, Draft, DraftCheck, check_draft

STORED_PLACEHOLDER = "stored — leave empty to keep"

# Input id -> Draft attribute (ids use dashes, attributes underscores).
INPUTS = {name.replace("_", "-"): name for name in FIELDS}

_TARGET_HINTS = {
    TENANT: ("Tenant host", "acme.prod.limio.com"),
    BASE_URL: ("Base URL", "https://acme.example.com/api"),
}


class Choice(RadioButton):
    """A radio button that reads without colour: ● chosen, ○ not."""

    BUTTON_INNER = "○"

    def watch_value(self) -> None:
        self.BUTTON_INNER = "●" if self.value else "○"
        super().watch_value()


class ProfileForm(Vertical):
    DEFAULT_CSS = """
    ProfileForm { height: auto; padding: 0 1; }
    ProfileForm #form-title { text-style: bold; margin-bottom: 1; }
    ProfileForm .row { height: auto; }
    ProfileForm .row > Label { width: 16; padding-right: 1; }
    ProfileForm .row > Input { width: 1fr; }
    ProfileForm .row > RadioSet {
        width: 1fr; height: auto; border: none; padding: 0; background: transparent;
    }
    ProfileForm .check { width: 1fr; margin-left: 16; height: auto; color: $text-muted; }
    ProfileForm .check.bad { color: $text-error; }
    ProfileForm .check.good { color: $text-success; }
    ProfileForm .gap { height: 1; }
    ProfileForm Collapsible { padding: 0; margin: 1 0 0 0; border: none; }
    ProfileForm Collapsible Contents { padding: 0; }
    ProfileForm #bearer-fields, ProfileForm #client-fields { height: auto; }
    """

    class Edited(Message):
        """The user changed a field; ``check`` says how the form stands now."""

        def __init__(self, check: DraftCheck) -> None:
            super().__init__()
            self.check = check

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded = Draft()
        self.target_kind = TENANT
        self.auth_kind = AuthKind.CLIENT_CREDENTIALS
        self.taken: frozenset[str] = frozenset()
        self.stored = Secrets()
        self.show_all = False  # show every check, not only those of changed fields
        self.revealed = False
        self._shown: dict[str, str] = {}  # input id -> text of its check label

    # ------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Label("", id="form-title")
        yield from self._row("Name", "name", placeholder="e.g. Acme production")
        with Horizontal(classes="row"):
            yield Label("Target")
            with RadioSet(id="target-kind"):
                yield Choice("Tenant hostname", id="kind-tenant", compact=True)
                yield Choice("Base URL", id="kind-base_url", compact=True)
        yield from self._row("Tenant host", "target", placeholder=_TARGET_HINTS[TENANT][1])
        with Horizontal(classes="row"):
            yield Label("Auth")
            with RadioSet(id="auth-kind"):
                yield Choice("Client id + secret", id="auth-client_credentials", compact=True)
                yield Choice("Bearer token", id="auth-bearer", compact=True)
        with Vertical(id="client-fields"):
            yield from self._row("Client id", "client-id")
            yield from self._row("Client secret", "client-secret", password=True)
        with Vertical(id="bearer-fields"):
            yield from self._row("Bearer token", "token", password=True)
        yield from self._row("Timeout (s)", "timeout", placeholder="30")
        with Collapsible(title="Advanced (optional)", id="advanced"):
            yield from self._row(
                "Cookie template", "cookie-template", placeholder="e.g. lmo_basket={basket_id}"
            )
            yield from self._row("CA bundle", "ca-bundle", placeholder="path to a PEM file")

    @staticmethod
    def _row(
        title: str, input_id: str, *, placeholder: str = "", password: bool = False
    ) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(title, id=f"{input_id}-label")
            yield PlainInput(
                placeholder=placeholder, password=password, id=input_id, compact=True
            )
        yield Label("", id=f"{input_id}-check", classes="check")

    # ------------------------------------------------------------- state

    def load(
        self,
        draft: Draft,
        *,
        title: str,
        taken: set[str] | frozenset[str],
        stored: Secrets | None = None,
        show_all: bool = False,
    ) -> None:
        """Show ``draft``; ``stored`` are the saved secrets of the profile (kept
        when the secret inputs stay empty), ``taken`` the other profiles' names."""
        self.loaded = draft
        self.taken = frozenset(taken)
        self.stored = stored or Secrets()
        self.show_all = show_all
        self.query_one("#form-title", Label).update(Text(shown(title, NAME_MAX + 20)))
        for input_id, attribute in INPUTS.items():
            self.query_one(f"#{input_id}", Input).value = getattr(draft, attribute)
        self._set_kind(draft.target_kind, draft.auth)
        self.query_one("#client-secret", Input).placeholder = (
            STORED_PLACEHOLDER if self.stored.client_secret else "client secret"
        )
        self.query_one("#token", Input).placeholder = (
            STORED_PLACEHOLDER if self.stored.token else "token (a JWT)"
        )
        self.query_one("#advanced", Collapsible).collapsed = not (
            draft.cookie_template or draft.ca_bundle
        )
        self.set_revealed(False)
        self.refresh_checks()

    def _set_kind(self, target_kind: str, auth: AuthKind) -> None:
        self.target_kind, self.auth_kind = target_kind, auth
        self.query_one(f"#kind-{target_kind}", RadioButton).value = True
        self.query_one(f"#auth-{auth.value}", RadioButton).value = True
        self._arrange()

    def _arrange(self) -> None:
        """Show only the inputs of the chosen auth kind; name the target."""
        title, example = _TARGET_HINTS[self.target_kind]
        self.query_one("#target-label", Label).update(Text(title))
        self.query_one("#target", Input).placeholder = example
        bearer = self.auth_kind == AuthKind.BEARER
        self.query_one("#client-fields").display = not bearer
        self.query_one("#bearer-fields").display = bearer

    def draft(self) -> Draft:
        """Exactly what is on screen now."""
        values = {
            attribute: self.query_one(f"#{input_id}", Input).value
            for input_id, attribute in INPUTS.items()
        }
        return Draft(target_kind=self.target_kind, auth=self.auth_kind, **values)

    @property
    def dirty(self) -> bool:
        return self.draft() != self.loaded

    def check(self, *, for_test: bool = False) -> DraftCheck:
        return check_draft(self.draft(), taken=self.taken, stored=self.stored, for_test=for_test)

    def reveal_all_checks(self) -> DraftCheck:
        """After a save attempt every field says how it is, changed or not."""
        self.show_all = True
        return self.refresh_checks()

    def focus_first_problem(self, check: DraftCheck) -> None:
        for attribute in FIELDS:
            if attribute in check.problems:
                self.query_one(f"#{attribute.replace('_', '-')}", Input).focus()
                return

    def set_revealed(self, revealed: bool) -> None:
        self.revealed = revealed
        for input_id in ("client-secret", "token"):
            self.query_one(f"#{input_id}", Input).password = not revealed

    # ------------------------------------------------------------- checks

    def refresh_checks(self) -> DraftCheck:
        draft = self.draft()
        result = check_draft(draft, taken=self.taken, stored=self.stored)
        for input_id, attribute in INPUTS.items():
            label = self.query_one(f"#{input_id}-check", Label)
            changed = getattr(draft, attribute) != getattr(self.loaded, attribute)
            if not draft.relevant(attribute) or not (self.show_all or changed):
                text, state = "", ""
            elif attribute in result.problems:
                text, state = f"✗ {result.problems[attribute]}", "bad"
            else:
                text, state = self._fine(draft, attribute), "good"
            if self._shown.get(input_id) == text:
                continue  # unchanged: spare the re-layout on every key press
            self._shown[input_id] = text
            label.update(Text(shown(text)))
            label.set_class(state == "bad", "bad")
            label.set_class(state == "good", "good")
            label.display = bool(text)
        return result

    def _fine(self, draft: Draft, attribute: str) -> str:
        kept = {"client_secret": self.stored.client_secret, "token": self.stored.token}
        if attribute in kept and not getattr(draft, attribute).strip() and kept[attribute]:
            return "✓ the stored secret is kept"
        if attribute in ("cookie_template", "ca_bundle") and not getattr(draft, attribute):
            return "✓ not set"
        return "✓"

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Edited(self.refresh_checks()))

    @on(RadioSet.Changed)
    def _kind_chosen(self, event: RadioSet.Changed) -> None:
        event.stop()
        pressed = event.pressed.id or ""
        if event.radio_set.id == "target-kind":
            self.target_kind = pressed.removeprefix("kind-")
        else:
            self.auth_kind = AuthKind(pressed.removeprefix("auth-"))
        self._arrange()
        self.post_message(self.Edited(self.refresh_checks()))
