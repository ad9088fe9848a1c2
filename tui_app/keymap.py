"""settings.toml's [keys], checked: keys named as Textual names them, values
that are not keys and unknown binding ids reported, clashes found, and
ctrl+q kept for quitting whatever the file says."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, _character_to_key, key_to_character

QUIT_KEY = "ctrl+q"  # always quits, whatever settings.toml says
MODIFIERS = frozenset({"alt", "ctrl", "hyper", "meta", "shift", "super"})
NAMED_KEYS = frozenset(
    key.value for key in Keys if key.value.replace("_", "").isalnum()
) | frozenset(KEY_NAME_REPLACEMENTS.values()) | {"space", "comma"}


def normalize_key(key: str) -> str | None:
    """A key as Textual names it (``Ctrl+Q`` -> ``ctrl+q``, ``?`` ->
    ``question_mark``), or None if no key press is ever reported as that."""
    key = key.strip()
    if key == "+" or key.endswith("++"):
        modifiers, base = key[:-2].split("+") if len(key) > 1 else [], "+"
    else:
        *modifiers, base = key.split("+")
    modifiers = [modifier.strip().lower() for modifier in modifiers]
    if any(modifier not in MODIFIERS for modifier in modifiers) or (
        len(set(modifiers)) != len(modifiers)
    ):
        return None
    base = base.strip()
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            return None
        name = _character_to_key(base.lower() if modifiers else base)
    else:
        name = base.lower()
        if name not in NAMED_KEYS and key_to_character(name) is None:
            return None
    return "+".join([*sorted(modifiers), name])


def check_keymap(keys: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """settings.toml's [keys] as a keymap Textual can use, and what was wrong:
    keys that are no key are dropped (a binding left with none keeps its
    default); ``ctrl+q`` is only ever for quitting, and a rebound quit keeps it."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in keys.items():
        good: list[str] = []
        bad: list[str] = []
        reserved = False
        for piece in value.split(","):
            if not piece.strip():
                continue
            key = normalize_key(piece)
            if key is None:
                bad.append(piece.strip())
            elif key == QUIT_KEY and binding_id != "app.quit":
                reserved = True
            else:
                good.append(key)
        kept = "" if good else f" — {binding_id} keeps its default key"
        if reserved:
            problems.append(f'"{binding_id}" = "{value}": {QUIT_KEY} is kept for quitting{kept}')
        if bad:
            problems.append(
                f'"{binding_id}" = "{value}": '
                + ", ".join(repr(piece) for piece in bad)
                + (" is not a key — ignored" if len(bad) == 1 else " are not keys — ignored")
                + kept.replace(" — ", "; ")
            )
        elif not good and not reserved:
            problems.append(f'"{binding_id}" = "{value}": no key given{kept}')
        if good:
            keymap[binding_id] = ",".join(dict.fromkeys(good))
    if "app.quit" in keymap and QUIT_KEY not in keymap["app.quit"].split(","):
        keymap["app.quit"] += f",{QUIT_KEY}"
    return keymap, problems


def _node_classes() -> Iterable[type[DOMNode]]:
    """Every app, screen and widget class loaded so far."""
    seen: set[type] = set()
    waiting: list[type] = [DOMNode]
    while waiting:
        cls = waiting.pop()
        if cls in seen:
            continue
        seen.add(cls)
        waiting.extend(cls.__subclasses__())
        yield cls


def known_binding_ids() -> set[str]:
    """The id of every binding of every class loaded."""
    return {
        binding.id
        for cls in _node_classes()
        for binding in cls.__dict__.get("BINDINGS", ())
        if isinstance(binding, Binding) and binding.id
    }


def keymap_clashes(keymap: dict[str, str]) -> list[str]:
    """Keys the keymap gives to one binding that another binding of the same
    app, screen or widget had: that one loses the key (Textual says nothing)."""
    found: dict[tuple[str, str], str] = {}
    for cls in _node_classes():
        bindings = getattr(cls, "_merged_bindings", None)
        if bindings is None:
            continue
        by_key = bindings.key_to_bindings
        ids = {binding.id for key_bindings in by_key.values() for binding in key_bindings}
        for binding_id, keys in keymap.items():
            if binding_id not in ids:
                continue
            for key in keys.split(","):
                for other in by_key.get(key, ()):
                    if other.id == binding_id or (
                        other.id in keymap and key not in keymap[other.id].split(",")
                    ):
                        continue  # itself, or moving to other keys anyway
                    loser = other.id or other.action
                    found.setdefault((key, loser), f'"{binding_id}" = "{keymap[binding_id]}": '
                                     f"{key} was {loser}'s key; {loser} loses it")
    return list(found.values())
