"""The list of profiles: the built-in sandbox first, then the stored ones,
then an entry to start a new one. The active profile is marked in words."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui_app.formatting import shown
from tui_app.services.store.profiles import AuthKind, Profile

SANDBOX_KEY = "sandbox"
NEW_KEY = "new"
_STORED_PREFIX = "profile:"


def stored_key(name: str) -> str:
    return _STORED_PREFIX + name


def name_of(key: str) -> str | None:
    """The stored profile's name behind a list key (None for sandbox / new)."""
    return key[len(_STORED_PREFIX):] if key.startswith(_STORED_PREFIX) else None


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    detail: str
    active: bool = False


def entries_for(
    sandbox_name: str, profiles: list[Profile], active: str | None
) -> list[Entry]:
    entries = [
        Entry(SANDBOX_KEY, sandbox_name, "built in", active == sandbox_name)
    ]
    for profile in profiles:
        where = profile.tenant or "base URL"
        how = "token" if profile.auth == AuthKind.BEARER else "client creds"
        entries.append(
            Entry(stored_key(profile.name), profile.name, f"{where} · {how}",
                  active == profile.name)
        )
    entries.append(Entry(NEW_KEY, "+ New profile", "ctrl+n"))
    return entries


WIDTH = 26  # the list pane is 30 columns: border and padding take the rest


class ProfileList(OptionList):
    DEFAULT_CSS = """
    ProfileList { height: 1fr; }
    """

    def show(self, entries: list[Entry], key: str | None) -> None:
        """Replace the entries, keeping ``key`` highlighted."""
        self.set_options(Option(self._render(entry), id=entry.key) for entry in entries)
        keys = [entry.key for entry in entries]
        self.highlighted = keys.index(key) if key in keys else 0

    @staticmethod
    def _render(entry: Entry) -> Text:
        # One line each for title and detail, cut to the list's width rather
        # than wrapped, so every entry keeps the same height. Names and hosts
        # come from profiles.toml: shown as text, never as markup.
        text = Text()
        text.append(shown(entry.title, WIDTH), style="bold")
        detail = ("● active · " if entry.active else "") + entry.detail
        text.append("\n  ")
        text.append(shown(detail, WIDTH - 2), style="bold" if entry.active else "dim")
        return text

    @property
    def highlighted_key(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
