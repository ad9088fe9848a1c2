"""`python -m tui_app` runs the same command line as `basket-builder`."""

from tui_app.cli import entry

raise SystemExit(entry())
