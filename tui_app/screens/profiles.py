"""Profiles screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_app.screens.base import AppScreen


class ProfilesScreen(AppScreen):
    HELP = "Profiles."

    def compose_body(self) -> ComposeResult:
        yield Static("Profiles", id="body")
