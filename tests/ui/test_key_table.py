"""The help dialog's key tables: columns aligned, the middle one wrapped
within itself, text shown as typed."""

from __future__ import annotations

from tui_app.widgets.key_table import KeyTable, wrap_cell


def test_columns_line_up_and_a_long_action_wraps_under_its_own_column():
    table = KeyTable(("Key", "Action", "Binding id"), [
        ("a", "Add", "basket.add"),
        ("ctrl+g", "Start the embedded sandbox again after it stopped", "app.restart_sandbox"),
    ])
    lines = table.lines_for(50).plain.split("\n")
    assert all(len(line) <= 50 for line in lines)
    header = lines[0]
    action_at, id_at = header.index("Action"), header.index("Binding id")
    assert lines[1].index("Add") == action_at and lines[1].index("basket.add") == id_at
    restart = next(i for i, line in enumerate(lines) if "ctrl+g" in line)
    assert lines[restart].index("app.restart_sandbox") == id_at
    continued = lines[restart + 1]
    assert continued[:action_at].strip() == ""  # the rest of the action, under it
    assert continued[action_at:].strip()
    words = " ".join(line[action_at:id_at].strip() for line in lines[restart:]).split()
    assert " ".join(words) == "Start the embedded sandbox again after it stopped"
    assert table.get_content_height(None, None, 50) == len(lines)


def test_text_is_shown_as_typed_never_as_markup():
    table = KeyTable(("Key", "Action"), [("[b]x[/b]", "[red]Remove[/]")])
    assert "[b]x[/b]" in table.lines_for(40).plain
    assert "[red]Remove[/]" in table.lines_for(40).plain


def test_a_word_longer_than_its_column_is_cut_not_lost():
    assert wrap_cell("supercalifragilistic", 8) == ["supercal", "ifragili", "stic"]
    assert wrap_cell("", 8) == [""]
