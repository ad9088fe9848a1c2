"""The file helpers under every store: atomic writes, quarantine, locking,
three-way merge, and where the files live."""

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tui_app.services.store import files
from tui_app.services.store.files import (
    FileLock,
    StoreError,
    atomic_write,
    merge_three_way,
    quarantine,
)
from tui_app.services.store.paths import CONFIG_DIR_ENV, AppPaths

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path, monkeypatch):
    # Whatever a test resolves, it must never land in the developer's config.
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- atomic_write


def test_atomic_write_replaces_content_sets_mode_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "secrets.toml"
    target.write_text("old")
    atomic_write(target, b"new content", mode=0o600)
    assert target.read_bytes() == b"new content"
    assert mode_of(target) == 0o600
    assert leftovers(tmp_path) == []

    plain = tmp_path / "profiles.toml"
    atomic_write(plain, b"x")
    assert mode_of(plain) == 0o644


def test_a_secret_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    seen_modes = []
    real_write = os.write

    def spying_write(fd, data):
        seen_modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(files.os, "write", spying_write)
    atomic_write(tmp_path / "secrets.toml", b"token = 'x'", mode=0o600)
    monkeypatch.undo()
    assert seen_modes and set(seen_modes) == {0o600}


@pytest.mark.parametrize(
    ("patched", "code", "words"),
    [
        ("write", errno.ENOSPC, "the disk is full"),
        ("replace", errno.EROFS, "read-only"),
        ("fsync", errno.EACCES, "permission denied"),
    ],
)
def test_a_refused_write_keeps_the_old_file_and_says_why(
    tmp_path, monkeypatch, patched, code, words
):
    target = tmp_path / "profiles.toml"
    target.write_text("version = 1\n")

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch:
        patch.setattr(files.os, patched, refuse)
        with pytest.raises(StoreError) as caught:
            atomic_write(target, b"version = 2\n")
    message = str(caught.value)
    assert str(target) in message
    assert words in message
    assert "previous version was left unchanged" in message
    assert target.read_text() == "version = 1\n"
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_reported_not_raised_as_oserror(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        atomic_write(tmp_path / "nope" / "session.json", b"{}")


_WRITE_LOOP = """
import json, sys
from pathlib import Path
from tui_app.services.store.files import atomic_write
target = Path(sys.argv[1])
# Big, prebuilt payloads: the loop spends its time writing, so a kill lands
# mid-write and a non-atomic writer would leave a torn file behind.
payloads = [
    json.dumps({"i": i, "items": ["x" * 200] * 40_000}).encode() for i in (1, 2)
]
i = 0
while True:
    atomic_write(target, payloads[i % 2])
    i += 1
    if i == 1:
        print("ready", flush=True)
"""


def run_until_killed(script: str, *args: str, seconds: float = 0.3) -> None:
    """Start a writer loop, let it get going, then SIGKILL it mid-flight."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "ready", "the writer loop did not start"
        time.sleep(seconds)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_repeated_writes_leaves_a_whole_file(tmp_path):
    target = tmp_path / "session.json"
    for _ in range(3):  # a few kills at random points make a torn file likely to show
        run_until_killed(_WRITE_LOOP, str(target))
        doc = json.loads(target.read_text())  # a torn write would not parse
        assert doc["i"] in (1, 2)
        assert len(doc["items"]) == 40_000


# --------------------------------------------------------------------------- quarantine


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2024, 5, 6, 7, 8, 9)


def test_quarantine_moves_the_file_aside_and_never_overwrites_an_earlier_one(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "datetime", _FrozenClock)
    target = tmp_path / "profiles.toml"
    target.write_text("first = [")
    first = quarantine(target, "bad TOML")
    target.write_text("second = [")
    second = quarantine(target, "bad TOML")

    assert first.name == "profiles.toml.corrupt-20240506-070809"
    assert second.name == "profiles.toml.corrupt-20240506-070809-2"
    assert first.read_text() == "first = ["
    assert second.read_text() == "second = ["
    assert not target.exists()


def test_quarantine_copy_keeps_the_original_and_makes_a_private_copy(tmp_path):
    target = tmp_path / "secrets.toml"
    target.write_text("token = 'abc'")
    target.chmod(0o644)
    copy = quarantine(target, "newer version", copy=True)
    assert target.read_text() == copy.read_text() == "token = 'abc'"
    assert mode_of(copy) == 0o600


# --------------------------------------------------------------------------- locking


def test_a_held_lock_makes_the_second_holder_wait_then_fail_clearly(tmp_path):
    lock_path = tmp_path / ".lock"
    with FileLock(lock_path):
        started = time.monotonic()
        with pytest.raises(StoreError, match="another basket-builder is holding"):
            FileLock(lock_path, timeout=0.3).acquire()
        assert time.monotonic() - started >= 0.3
    with FileLock(lock_path, timeout=0.3):  # released on exit
        pass


def test_the_lock_works_across_processes(tmp_path):
    lock_path = tmp_path / ".lock"
    holder = (
        "import sys, time\n"
        "from tui_app.services.store.files import FileLock\n"
        "with FileLock(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(30)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(lock_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another basket-builder"):
            FileLock(lock_path, timeout=0.2).acquire()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
    with FileLock(lock_path, timeout=2):  # the dead holder's lock is gone
        pass


# --------------------------------------------------------------------------- merging


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "merged", "conflicts"),
    [
        # each side adds a different key: both survive
        ({}, {"x": 1}, {"y": 2}, {"x": 1, "y": 2}, []),
        # they changed a key we did not touch: take theirs
        ({"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}, []),
        # they deleted a key we did not touch: it stays deleted
        ({"a": 1, "b": 1}, {"a": 1, "b": 1}, {"b": 1}, {"b": 1}, []),
        # we deleted, they left it alone: deleted
        ({"a": 1}, {}, {"a": 1}, {}, []),
        # both made the same change: no conflict
        ({"a": 1}, {"a": 3}, {"a": 3}, {"a": 3}, []),
        # both changed it differently: ours wins, reported
        ({"a": 1}, {"a": 2}, {"a": 3}, {"a": 2}, ["a"]),
        # we changed, they deleted: ours wins, reported
        ({"a": 1}, {"a": 2}, {}, {"a": 2}, ["a"]),
        # both added the same key with different values
        ({}, {"n": "mine"}, {"n": "theirs"}, {"n": "mine"}, ["n"]),
        # a stored None is a value, not a deletion
        ({"a": None}, {"a": None}, {}, {}, []),
        ({"a": 1}, {"a": None}, {"a": 1}, {"a": None}, []),
    ],
)
def test_merge_three_way(base, ours, theirs, merged, conflicts):
    assert merge_three_way(base, ours, theirs) == (merged, conflicts)


# --------------------------------------------------------------------------- paths


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is a Linux convention")
def test_xdg_dirs_relocate_config_and_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    paths = AppPaths.resolve()
    assert paths.config_dir == tmp_path / "xdg-config" / "basket-builder"
    assert paths.profiles_file == tmp_path / "xdg-config" / "basket-builder" / "profiles.toml"
    assert paths.sandbox_db == tmp_path / "xdg-data" / "basket-builder" / "sandbox.sqlite3"


def test_env_var_puts_everything_under_one_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "bb"))
    paths = AppPaths.resolve()
    assert paths.config_dir == tmp_path / "bb"
    assert paths.data_dir == tmp_path / "bb" / "data"
    assert paths.secrets_file == tmp_path / "bb" / "secrets.toml"
    assert paths.session_file == tmp_path / "bb" / "session.json"
    assert paths.settings_file == tmp_path / "bb" / "settings.toml"
    assert paths.themes_dir == tmp_path / "bb" / "themes"
    assert paths.lock_file == tmp_path / "bb" / ".lock"
    assert paths.sandbox_db == tmp_path / "bb" / "data" / "sandbox.sqlite3"


def test_an_explicit_dir_beats_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "from-env"))
    assert AppPaths.resolve(tmp_path / "explicit").config_dir == tmp_path / "explicit"


def test_ensure_creates_private_dirs(tmp_path):
    paths = AppPaths.resolve(tmp_path / "cfg")
    paths.ensure()
    assert paths.config_dir.is_dir() and paths.data_dir.is_dir()
    assert mode_of(paths.config_dir) == 0o700
    paths.ensure()  # idempotent


def test_ensure_says_when_a_file_is_in_the_way(tmp_path):
    (tmp_path / "cfg").write_text("oops")
    with pytest.raises(StoreError) as caught:
        AppPaths.resolve(tmp_path / "cfg").ensure()
    message = str(caught.value)
    assert f"cannot create config directory {tmp_path / 'cfg'}" in message
    assert "a file with that name is in the way" in message


def test_ensure_reports_permission_denied_plainly(tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(StoreError) as caught:
        AppPaths.resolve(tmp_path / "cfg").ensure()
    assert str(caught.value).startswith(
        f"cannot create config directory {tmp_path / 'cfg'}: Permission denied"
    )
