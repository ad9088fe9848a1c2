"""Offers screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_app.screens.base import AppScreen


class OffersScreen(AppScreen):
    HELP = "Offers."

    def compose_body(self) -> ComposeResult:
        yield Static("Offers", id="body")
