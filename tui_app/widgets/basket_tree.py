"""A JSON value (the validated checkout) as a collapsible tree.

The top level is open; nested objects and lists open on demand and are only
built when first opened, so a checkout of hundreds of items stays quick.
Leaves read ``key: value`` with the value as JSON (strings quoted), so
``"17.50"`` and ``17.5`` can be told apart.

A pydantic model is shown as its ``model_dump(mode="json", by_alias=True,
exclude_unset=True)`` would be, but one level at a time: a level's plain
values are dumped by pydantic itself, and the models in it (and lists of
models) only when their branch is opened or its label needs them. Dumping
the whole checkout on every reply cost 15-26 ms at 500 items.

Keys and values are the tenant's: every label is a ``Text`` (a str label
would be read as markup), its characters made visible, and one line cut
with "…" when very long (the inspector has the reply in full).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel
from rich.cells import cell_len
from rich.style import Style
from rich.text import Span, Text
from textual._segment_tools import line_pad
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets._tree import TOGGLE_STYLE, _TreeLine
from textual.widgets.tree import TreeNode

from tui_app.formatting import CELL_MAX, NAME_MAX, shown
from tui_app.widgets.steady_scroll_bars import steady_size_updated

LEAF_MAX = 2 * CELL_MAX  # the JSON of a leaf's value, on its one line


@dataclass
class Branch:
    value: Any
    filled: bool = False


def _is_models(value: Any) -> bool:
    """A model, or a non-empty list of nothing but models: what is dumped lazily."""
    if isinstance(value, BaseModel):
        return True
    return (isinstance(value, list) and bool(value)
            and all(isinstance(entry, BaseModel) for entry in value))


def model_level(model: BaseModel) -> dict[str, Any]:
    """One level of ``model.model_dump(mode="json", by_alias=True,
    exclude_unset=True)``, same keys in the same order, but with the models
    in it (and lists of models, copied) left as they are, to be dumped when
    they are looked into (``resolved``)."""
    fields = type(model).model_fields
    deferred = {
        name for name in model.model_fields_set
        if name in fields and _is_models(getattr(model, name))
    }
    dumped = model.model_dump(mode="json", by_alias=True, exclude_unset=True,
                              exclude=deferred or None)
    if not deferred:
        return dumped
    level: dict[str, Any] = {}
    for name, info in fields.items():  # the dump's order: fields as declared, extras last
        key = info.serialization_alias or info.alias or name
        if name in deferred:
            value = getattr(model, name)
            level[key] = list(value) if isinstance(value, list) else value
        elif key in dumped:
            level[key] = dumped.pop(key)
    level.update(dumped)
    return level


def resolved(container: dict[Any, Any] | list[Any], key: Any) -> Any:
    """``container[key]`` as JSON one level deep: a model in it is dumped
    (that level only) and kept dumped in ``container``, which is the tree's
    own copy, never the model's."""
    value = container[key]
    if isinstance(value, BaseModel):
        value = container[key] = model_level(value)
    return value


def _entries(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, dict):
        for key in list(value):
            yield key, resolved(value, key)
    elif isinstance(value, list):
        for index in range(len(value)):
            yield index, resolved(value, index)


def _key_text(key: str | int) -> Text:
    return Text(f"[{key}]" if isinstance(key, int) else shown(key, CELL_MAX), style="bold")


def _hint(value: Any) -> str:
    """A name that says which list entry this is: an item's offer name, say."""
    if not isinstance(value, dict):
        return ""
    offer = resolved(value, "offer") if "offer" in value else None
    for candidate in (offer.get("name") if isinstance(offer, dict) else None,
                      value.get("name"), value.get("id")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return ""


def container_label(key: str | int, value: dict[str, Any] | list[Any]) -> Text:
    text = _key_text(key)
    hint = _hint(value) if isinstance(key, int) else ""
    if hint:
        text.append(f" {shown(hint, NAME_MAX)}")
    size = len(value)
    if isinstance(value, list):
        text.append(f"  [{size} {'entry' if size == 1 else 'entries'}]", style="dim")
    else:
        text.append(f"  {{{size} {'key' if size == 1 else 'keys'}}}", style="dim")
    return text


def leaf_label(key: str | int, value: Any) -> Text:
    text = _key_text(key)
    text.append(": ")
    text.append(shown(json.dumps(value, ensure_ascii=False, default=str), LEAF_MAX))
    return text


class _Look(NamedTuple):
    """What every line of a frame is drawn with (Tree works it out per line)."""

    width: int
    pad_width: int
    has_focus: bool
    guide: Style
    guide_hover: Style
    guide_selected: Style
    base_hidden: bool
    hover_hidden: bool
    selected_hidden: bool
    highlight_line: Style
    label: Style
    highlight: Style
    cursor: Style


class JsonTree(Tree[Branch | None]):
    DEFAULT_CSS = """
    JsonTree { height: 1fr; }
    """

    def __init__(self, label: str = "", *, id: str | None = None) -> None:
        super().__init__(Text(shown(label)), id=id)
        self.value: Any = None
        self._own_rules: object = None  # the rules the tree was last laid out by
        self._drawn_look: object = None  # the styles its drawn lines were made with
        self._look_may_differ = True
        self._frame_style: Style | None = None  # while a frame is drawn
        self._frame_look: _Look | None = None  # likewise
        self._frame_guides: dict[tuple[Style, bool], tuple[str, str, str, str]] = {}

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        return steady_size_updated(self, size, container_size, lambda: super(
            JsonTree, self)._size_updated(size, virtual_size, container_size, layout))

    def notify_style_update(self) -> None:
        """Textual restyles every widget of a screen each time the screen is
        shown, and a Tree then forgets every line it drew and is laid out
        again: a second layout and redraw of the whole tree after each switch
        to the Validation screen (profile), for styles that had not changed.
        The tree is invalidated at once only when its own rules changed; a
        change of colour elsewhere (its parents', its components') is found
        before the next lines are drawn, and they are drawn anew."""
        rules = self.styles.base.get_rules()
        self._look_may_differ = True
        if rules != self._own_rules:
            self._own_rules = rules
            super().notify_style_update()
        else:
            super(Tree, self).notify_style_update()  # the style caches, not the lines

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._look_may_differ:
            self._look_may_differ = False
            look = (self.rich_style, sorted(self._component_styles.items()),
                    self.styles.inline.get_rules())
            if look != self._drawn_look:
                self._drawn_look = look
                self._clear_line_cache()
                self._updates += 1
        # The widget's style, which Tree works out again for every line (it
        # walks every ancestor: a third of drawing a line), once a frame;
        # and the component styles and sizes every line is drawn with.
        self._frame_style = self.rich_style
        self._frame_look = self._look()
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = self._frame_look = None
            self._frame_guides.clear()

    def render_line(self, y: int) -> Strip:
        style = self._frame_style
        if style is None:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        return self._render_line(y + scroll_y, scroll_x, scroll_x + self.size.width, style)

    def _look(self) -> _Look:
        width = self.size.width
        rich = self.get_component_rich_style
        guide = rich("tree--guides", partial=True)
        return _Look(
            width=width,
            pad_width=max(self.virtual_size.width, width),
            has_focus=self.has_focus,
            guide=guide,
            guide_hover=guide + rich("tree--guides-hover", partial=True),
            guide_selected=guide + rich("tree--guides-selected", partial=True),
            base_hidden=self.get_component_styles("tree--guides").color.a == 0,
            hover_hidden=self.get_component_styles("tree--guides-hover").color.a == 0,
            selected_hidden=self.get_component_styles("tree--guides-selected").color.a == 0,
            highlight_line=rich("tree--highlight-line"),
            label=rich("tree--label", partial=True),
            highlight=rich("tree--highlight", partial=True),
            cursor=rich("tree--cursor", partial=False),
        )

    def _guides(self, style: Style, hidden: bool) -> tuple[str, str, str, str]:
        """Space, vertical, terminator and cross, as Tree draws them in ``style``."""
        key = (style, hidden)
        guides = self._frame_guides.get(key)
        if guides is None:
            if self.show_guides and not hidden:
                lines = self.LINES["default"]
                if style.bold:
                    lines = self.LINES["bold"]
                elif style.underline2:
                    lines = self.LINES["double"]
            else:
                lines = ("  ", "  ", "  ", "  ")
            depth = max(0, self.guide_depth - 2)
            space, vertical, terminator, cross = (f"{c[0]}{c[1] * depth} " for c in lines)
            guides = self._frame_guides[key] = (space, vertical, terminator, cross)
        return guides

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """Tree's line, with what every line shares worked out once a frame
        and the label's text assembled in one go (Tree builds three Texts a
        line and asks for seven component styles: most of drawing one)."""
        look = self._frame_look
        if look is None:
            return super()._render_line(y, x1, x2, base_style)
        tree_lines = self._tree_lines
        if y >= len(tree_lines):
            return Strip.blank(look.width, base_style)
        line = tree_lines[y]
        is_hover = self.hover_line >= 0 and any(node._hover for node in line.path)
        cache_key = (y, is_hover, look.width, self._updates, self._pseudo_class_state,
                     tuple(node._updates for node in line.path))
        strip = self._line_cache.get(cache_key)
        if strip is None:
            strip = self._line_cache[cache_key] = self._draw(y, line, is_hover, base_style, look)
        return strip.crop(x1, x2)

    def _draw(self, y: int, line: _TreeLine[Branch | None], is_hover: bool,
              base_style: Style, look: _Look) -> Strip:
        """The text and spans Tree.render_line puts together for a line (its
        guides, then render_label's icon and label, then the node's place),
        rendered by Rich as Tree's are: the same segments."""
        path, node = line.path, line.path[-1]
        line_style = (look.highlight_line if is_hover else base_style) + Style(meta={"line": y})
        parts: list[str] = []
        spans: list[Span] = []
        offset = 0

        def add(text: str, style: Style | str) -> None:  # as Text.append(text, style)
            nonlocal offset
            parts.append(text)
            end = offset + len(text)
            if style:
                spans.append(Span(offset, end, style))
            offset = end

        guide_style, hover = look.guide, path[0]._hover
        selected = path[0]._selected and look.has_focus
        hidden = True
        for step in path[1:]:
            hidden = look.base_hidden
            if hover:
                guide_style, hidden = look.guide_hover, look.hover_hidden
            if selected:
                guide_style, hidden = look.guide_selected, look.selected_hidden
            if step is not node:
                space, vertical, _, _ = self._guides(guide_style, hidden)
                add(space if step.is_last else vertical, guide_style)
            hover = hover or step._hover
            selected = (selected or step._selected) and look.has_focus
        if len(path) > 1:
            _, _, terminator, cross = self._guides(guide_style, hidden)
            add(terminator if line.last else cross, guide_style)

        label_style = look.label
        if self.hover_line == y:
            label_style += look.highlight
        if self.cursor_line == y:
            label_style += look.cursor
        start = offset
        if node._allow_expand:
            add(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE,
                line_style + TOGGLE_STYLE)
        label = node._label
        if label.plain:
            label_start = offset
            if label.style:
                spans.append(Span(label_start, label_start + len(label.plain), label.style))
            spans.extend(Span(s + label_start, e + label_start, style)
                         for s, e, style in label.spans)
            add(label.plain, label_style)
        if offset > start:
            spans.append(Span(start, offset, Style(meta={"node": node._id})))

        plain = "".join(parts)  # labels are shown(): no control codes for Text to drop
        segments = list(Text(plain, style=line_style, spans=spans).render(self.app.console))
        return Strip(line_pad(segments, 0, look.pad_width - cell_len(plain), line_style))

    def show(self, label: str, value: Any) -> None:
        """Show ``value`` (JSON, or a pydantic model shown as its JSON dump)
        with its top level open."""
        if isinstance(value, BaseModel):
            value = model_level(value)
        self.value = value
        self.reset(Text(shown(label, CELL_MAX), style="bold"),
                   Branch(value) if value is not None else None)
        self.fill(self.root)
        self.root.expand()

    def fill(self, node: TreeNode[Branch | None]) -> None:
        branch = node.data
        if branch is None or branch.filled:
            return
        branch.filled = True
        for key, child in _entries(branch.value):
            if isinstance(child, dict | list) and child:
                node.add(container_label(key, child), Branch(child), allow_expand=True)
            else:
                node.add_leaf(leaf_label(key, child))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Branch | None]) -> None:
        self.fill(event.node)
