"""Hostile files where the store expects its own: values nested thousands deep,
symbolic links (to files outside the config folder), FIFOs, huge files.

Every store file — profiles, secrets, session, settings, a cached order, the
lock — goes through one reader (``files.read_parsed``), so each case is tried
on every kind: the store loads with its defaults, the file is set aside (an
order is dropped: it is a cache) with a message naming it, nothing raises, and
nothing outside the folder is read, chmod'ed or changed.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tui_app.services.store import files
from tui_app.services.store.files import MAX_FILE_BYTES, MAX_NESTING, quarantine
from tui_app.services.store.order_cache import OrderCache
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets
from tui_app.services.store.session import SessionState, SessionStore
from tui_app.services.store.settings import Settings, load_settings, save_theme

ORDER_KEY = ("sandbox:embedded", "basket-1")
posix_only = pytest.mark.skipif(os.name != "posix", reason="modes, FIFOs and O_NOFOLLOW are POSIX")


@pytest.fixture
def paths(tmp_path) -> AppPaths:
    paths = AppPaths.resolve(tmp_path / "cfg")
    paths.ensure()
    return paths


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def set_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


# --------------------------------------------------------------------------- the file kinds


@dataclass(frozen=True)
class Kind:
    """One kind of store file: where it is, what a fresh start looks like,
    and how the app loads it (returning the messages a user would see)."""

    name: str
    syntax: str  # "toml" or "json"
    cache: bool = False  # a bad order is dropped, not set aside

    def path(self, paths: AppPaths) -> Path:
        if self.name == "order cache":
            return OrderCache(paths.orders_dir).path_for(ORDER_KEY)
        return {
            "profiles": paths.profiles_file,
            "secrets": paths.secrets_file,
            "session": paths.session_file,
            "settings": paths.settings_file,
        }[self.name]

    def load(self, paths: AppPaths, caplog) -> tuple[list[str], bool]:
        """(messages, whether what was loaded is the defaults)."""
        if self.name in ("profiles", "secrets"):
            store = ProfileStore(paths)
            messages = store.load()
            return messages, store.profiles() == [] and store._secrets == {}
        if self.name == "session":
            session = SessionStore(paths)
            messages = session.load()
            return messages, session.state == SessionState()
        if self.name == "settings":
            settings, messages = load_settings(paths)
            return messages, settings == Settings()
        with caplog.at_level(logging.WARNING, logger="tui_app.services.store.order_cache"):
            order = OrderCache(paths.orders_dir).get(ORDER_KEY)
        return [r.getMessage() for r in caplog.records], order is None


KINDS = [
    Kind("profiles", "toml"),
    Kind("secrets", "toml"),
    Kind("session", "json"),
    Kind("settings", "toml"),
    Kind("order cache", "json", cache=True),
]
KIND_IDS = [kind.name for kind in KINDS]

DEEP = 600  # tomllib and json recurse: far past Python's limit of 1000 frames
BARELY_TOO_DEEP = MAX_NESTING + 8  # parses, but would make later steps recurse

PAYLOADS = {
    "toml": {
        "array nested 600 deep": "x = " + "[" * DEEP + "]" * DEEP + "\n",
        "inline table nested 600 deep": "x = " + "{ a = " * DEEP + "1" + " }" * DEEP + "\n",
        "array nested 40 deep": "x = " + "[" * BARELY_TOO_DEEP + "]" * BARELY_TOO_DEEP + "\n",
        "tables nested 40 deep": "[" + ".".join(["a"] * BARELY_TOO_DEEP) + "]\nx = 1\n",
        # tomllib's time grows with the square of a key's parts: minutes for this one.
        "dotted key of 100,000 parts": "x = 1\n" + ".".join(["a"] * 100_000) + " = 1\n",
    },
    "json": {
        "100,000 [": "[" * 100_000,
        "object nested 100,000 deep": '{"a": ' * 100_000,
        "object nested 40 deep": '{"a": ' * BARELY_TOO_DEEP + "1" + "}" * BARELY_TOO_DEEP,
    },
}
CASES = [
    pytest.param(kind, text, id=f"{kind.name}-{label}")
    for kind in KINDS
    for label, text in PAYLOADS[kind.syntax].items()
]


def place(paths: AppPaths, kind: Kind, text: str) -> Path:
    path = kind.path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def assert_set_aside_with_a_message(kind: Kind, path: Path, messages: list[str], why: str):
    assert not os.path.lexists(path)
    [message] = [m for m in messages if path.name in m]
    assert why in message
    if kind.cache:
        assert "dropped" in message and set_aside(path) == []
        return
    [dest] = set_aside(path)
    assert message.startswith(f"{path.name} could not be read (")
    assert f"moved to {dest}" in message


# --------------------------------------------------------------------------- deep nesting


@pytest.mark.parametrize(("kind", "text"), CASES)
def test_deep_nesting_is_set_aside_and_the_store_starts_with_defaults(paths, caplog, kind, text):
    path = place(paths, kind, text)
    messages, defaults = kind.load(paths, caplog)
    assert defaults
    assert_set_aside_with_a_message(
        kind, path, messages, f"its values are nested more than {MAX_NESTING} levels deep"
    )
    if not kind.cache:
        assert set_aside(path)[0].read_text("utf-8") == text  # nothing the user wrote is lost


@pytest.mark.parametrize(
    "key", [".".join(["a"] * 100_000), " . ".join(['"a"'] * 40), "[" + ".".join(["b"] * 40) + "]"],
    ids=["bare parts", "quoted parts", "table header"],
)
def test_a_dotted_key_too_long_to_use_is_refused_before_tomllib_sees_it(paths, monkeypatch, key):
    calls: list[str] = []
    monkeypatch.setattr(files.tomllib, "loads", lambda text: calls.append(text) or {})
    paths.profiles_file.write_text(f"version = 1\n{key}{'' if key[0] == '[' else ' = 1'}\n")
    [warning] = ProfileStore(paths).load()
    assert warning.startswith(
        "profiles.toml could not be read (line 2: its values are nested more than 32 levels deep)"
    )
    assert calls == []


def test_dots_that_are_not_a_long_key_are_no_reason_to_refuse(paths):
    dotted = ".".join(["x"] * 40)
    paths.settings_file.write_text(
        f"# {'.' * 200} {dotted}\n"  # a comment
        f'theme = "{dotted}"\n'  # a value
        f'[keys]\n"{dotted}" = "ctrl+d"\n'  # one quoted part
    )
    assert load_settings(paths) == (Settings(theme=dotted, keys={dotted: "ctrl+d"}), [])


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.cache], ids=lambda k: k.name)
def test_deep_nesting_found_while_saving_is_set_aside_and_the_save_goes_on(paths, kind):
    profiles, session = ProfileStore(paths), SessionStore(paths)
    assert profiles.load() == [] and session.load() == [] and load_settings(paths)[1] == []
    path = place(paths, kind, PAYLOADS[kind.syntax][next(iter(PAYLOADS[kind.syntax]))])
    profiles.put(
        Profile(name="local", base_url="http://127.0.0.1:1/api", auth=AuthKind.BEARER),
        Secrets(token="t"),
    )
    session.set_active_profile("local")
    if kind.name == "settings":
        # The one settings write: it refuses to overwrite what it cannot read.
        with pytest.raises(files.StoreError, match="nested more than 32 levels deep"):
            save_theme(paths, "high-contrast")
        assert path.read_text("utf-8").startswith("x = ")
        return
    notes = profiles.save() + session.save()
    assert any(path.name in note and "nested more than" in note for note in notes)
    assert len(set_aside(path)) == 1
    assert ProfileStore(paths).load() == [] and SessionStore(paths).load() == []


def test_a_settings_file_set_aside_at_start_lets_the_theme_be_saved(paths):
    paths.settings_file.write_text("x = " + "[" * DEEP + "]" * DEEP)
    _, [warning] = load_settings(paths)
    assert "using default settings" in warning
    save_theme(paths, "high-contrast")
    assert load_settings(paths) == (Settings(theme="high-contrast"), [])


# --------------------------------------------------------------------------- symbolic links


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside the config folder, readable by all, that must stay as it is."""
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_text("# not basket-builder's\nversion = 1\n", "utf-8")
    target.chmod(0o644)
    return target


def assert_untouched(target: Path) -> None:
    assert target.read_text("utf-8") == "# not basket-builder's\nversion = 1\n"
    if os.name == "posix":
        assert mode_of(target) == 0o644


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_symlinked_store_file_is_refused_and_its_target_left_untouched(
    paths, caplog, outside, kind
):
    path = kind.path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.symlink_to(outside)
    except OSError:
        pytest.skip("this account may not create symbolic links")
    messages, defaults = kind.load(paths, caplog)
    assert defaults
    assert_set_aside_with_a_message(kind, path, messages, f"symbolic link to {outside}")
    if not kind.cache:
        assert set_aside(path)[0].is_symlink()  # the link itself was moved, not its target
    assert_untouched(outside)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symlinked_secrets_file_is_never_chmod_ed_even_when_it_cannot_be_set_aside(
    paths, outside, monkeypatch
):
    paths.secrets_file.symlink_to(outside)

    def refuse(path, reason, **kwargs):
        raise files.StoreError(f"cannot set {path} aside: the disk is full")

    monkeypatch.setattr(files, "quarantine", refuse)
    [warning] = ProfileStore(paths).load()
    assert warning.startswith("secrets.toml could not be read (it is a symbolic link")
    assert "could not be set aside" in warning
    assert paths.secrets_file.is_symlink()
    assert_untouched(outside)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_saving_through_symlinked_files_replaces_the_links_not_their_targets(paths, outside):
    for path in (paths.profiles_file, paths.secrets_file, paths.session_file, paths.lock_file):
        path.symlink_to(outside)
    profiles, session = ProfileStore(paths), SessionStore(paths)
    profiles.load()
    session.load()
    profiles.put(
        Profile(name="local", base_url="http://127.0.0.1:1/api", auth=AuthKind.BEARER),
        Secrets(token="t"),
    )
    session.set_active_profile("local")
    profiles.save()
    session.save()
    save_theme(paths, "high-contrast")
    assert_untouched(outside)  # the lock file's link would have been emptied by O_TRUNC
    for path in (paths.profiles_file, paths.secrets_file, paths.session_file):
        assert not path.is_symlink()
    assert ProfileStore(paths).load() == []
    assert SessionStore(paths).load() == []
    assert mode_of(paths.secrets_file) == 0o600 or os.name != "posix"


# --------------------------------------------------------------------------- set aside, privately


@posix_only
@pytest.mark.parametrize("copy", [False, True], ids=["moved", "copied"])
def test_whatever_is_set_aside_is_private(tmp_path, copy):
    loose = tmp_path / "secrets.toml"
    loose.write_text("token = 'abc'")
    loose.chmod(0o644)
    dest = quarantine(loose, "bad", copy=copy)
    assert mode_of(dest) == 0o600
    assert dest.read_text() == "token = 'abc'"


@posix_only
def test_a_corrupt_loose_secrets_file_is_set_aside_with_mode_0600(paths):
    paths.secrets_file.write_text("[profiles.acme\ntoken = 'tok-secret'\n")
    paths.secrets_file.chmod(0o644)
    [warning] = ProfileStore(paths).load()
    [dest] = set_aside(paths.secrets_file)
    assert f"moved to {dest}" in warning
    assert mode_of(dest) == 0o600


@posix_only
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_fifo_in_place_of_a_file_is_refused_without_blocking(paths, caplog, kind):
    path = kind.path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    result: dict[str, Any] = {}

    def load():
        result["loaded"] = kind.load(paths, caplog)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "loading blocked on a FIFO"
    messages, defaults = result["loaded"]
    assert defaults
    assert any(path.name in m and "not a plain file" in m for m in messages)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_file_larger_than_the_limit_is_refused_unread(paths, caplog, kind):
    path = kind.path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written
    messages, defaults = kind.load(paths, caplog)
    assert defaults
    assert_set_aside_with_a_message(kind, path, messages, "it is larger than 16 MiB")


def test_the_readers_share_one_reader(paths, caplog, monkeypatch):
    """The guarantees above hold for every kind because all read through
    ``files.read_plain_file``: a new store file reading around it would not."""
    seen: list[str] = []
    real = files.read_plain_file

    def spy(path, *args):
        seen.append(Path(path).name)
        return real(path, *args)

    monkeypatch.setattr(files, "read_plain_file", spy)
    for kind in KINDS:
        place(paths, kind, "{}" if kind.syntax == "json" else "")
        kind.load(paths, caplog)
    assert set(seen) >= {kind.path(paths).name for kind in KINDS}


@pytest.mark.skipif(sys.getrecursionlimit() < 200, reason="needs the default recursion limit")
def test_a_document_at_the_nesting_limit_is_read_and_one_level_more_is_not(paths):
    def nested(levels: int) -> str:  # the top level counts as one
        inner = '{"a": ' * (levels - 1) + "1" + "}" * (levels - 1)
        return '{"version": 1, "x": ' + inner + "}"

    paths.session_file.write_text(nested(MAX_NESTING))
    read = files.read_parsed(paths.session_file, files.parse_json)
    assert read.fatal is None and read.doc is not None
    paths.session_file.write_text(nested(MAX_NESTING + 1))
    assert files.read_parsed(paths.session_file, files.parse_json).fatal == (
        f"its values are nested more than {MAX_NESTING} levels deep"
    )
