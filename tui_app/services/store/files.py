"""Low-level file helpers for everything basket-builder keeps on disk.

Three promises hold for every file written here: a crash or a full disk never
leaves half a file behind (write a temp file, fsync, rename over the old one),
a secret is never readable by others even for a moment (the temp file is
created with its final mode), and a file that cannot be read is set aside
rather than overwritten, so nothing a user typed is silently lost.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MISSING: Any = object()


class StoreError(Exception):
    """A problem a user can act on: which file, what went wrong, what to do.

    The message is meant to be shown as it is (a toast, a CLI line), so it
    never needs a traceback to make sense.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def describe_os_error(exc: OSError, path: Path) -> str:
    """Plain words and a next step for the errors a user can actually fix."""
    folder = path.parent
    code = exc.errno
    if code == errno.ENOSPC:
        return "the disk is full; free some space and try again"
    if code == getattr(errno, "EDQUOT", None):
        return "the disk quota is exceeded; free some space and try again"
    if code == errno.EROFS:
        return "the file system is read-only; choose a writable place with --config-dir"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied; check who owns {folder} or choose another place with --config-dir"
        )
    if code == errno.ENOENT:
        return f"the folder {folder} does not exist"
    return exc.strerror or str(exc)


# --------------------------------------------------------------------------- writing


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new
    content, never a mix, even if the process is killed mid-write.

    Raises StoreError (naming the file) when the disk refuses; the previous
    file is then left exactly as it was and no temp file remains.
    """
    path = Path(path)
    tmp, fd = _create_temp(path, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise StoreError(
                f"cannot save {path}: {describe_os_error(exc, path)} "
                "(the previous version was left unchanged)",
                path,
            ) from exc
        raise
    _fsync_dir(path.parent)


def _create_temp(path: Path, mode: int) -> tuple[Path, int]:
    # Same folder as the target, so os.replace is a rename and not a copy;
    # created with the final mode so a secret is never world-readable.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot save {path}: {describe_os_error(exc, path)}", path) from exc
    raise StoreError(f"cannot save {path}: could not create a temporary file next to it", path)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable. Not every platform or file system can
    # open a directory, and by now the data is in place, so failures are moot.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --------------------------------------------------------------------------- quarantine


def quarantine(path: Path, reason: str, *, copy: bool = False) -> Path:
    """Set a file that cannot be used aside as ``<name>.corrupt-<stamp>``.

    ``copy=True`` keeps the original in place (used when part of it is still
    good, or it was written by a newer version). The copy is private (0600):
    it may hold secrets. Raises StoreError if the disk refuses.
    """
    path = Path(path)
    # Local time: this name is read by a person looking in the folder.
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    first = path.with_name(f"{path.name}.corrupt-{stamp}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for counter in itertools.count(1):
        target = first if counter == 1 else first.with_name(f"{first.name}-{counter}")
        try:
            # Claiming the name with O_EXCL means two instances never pick the same one.
            fd = os.open(target, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreError(
                f"cannot set {path} aside: {describe_os_error(exc, target)}", path
            ) from exc
        break
    try:
        if copy:
            try:
                data = path.read_bytes()
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            os.close(fd)
            os.replace(path, target)
    except OSError as exc:
        _unlink_quietly(target)
        if isinstance(exc, FileNotFoundError) and not path.exists():
            why = "it is gone (another basket-builder may have set it aside first)"
        else:
            why = describe_os_error(exc, target)
        raise StoreError(f"cannot set {path} aside: {why}", path) from exc
    log.warning("%s set aside as %s: %s", path, target, reason)
    return target


class SetAside:
    """Sets bad files aside, copying each distinct content only once.

    Stores re-read their files on every save; a partly bad file that stays in
    place would otherwise gain a new ``.corrupt-*`` copy each time.
    """

    def __init__(self) -> None:
        self._copies: dict[bytes, Path] = {}

    def __call__(
        self, path: Path, raw: bytes | None, reason: str, *, copy: bool, strict: bool
    ) -> str | None:
        """Set ``path`` aside and say where, as a phrase for a warning.

        ``strict`` (while saving): a file that cannot be set aside must not be
        overwritten either, so StoreError propagates; and a content copied
        earlier returns None (it was reported then). Otherwise failures come
        back as a phrase, because loading must never fail on bad content.
        """
        digest = hashlib.sha256(raw).digest() if raw is not None else None
        earlier = self._copies.get(digest) if digest is not None else None
        if earlier is not None:
            return None if strict else f"a copy was saved as {earlier}"
        try:
            dest = quarantine(path, reason, copy=copy)
        except StoreError as exc:
            if strict:
                raise
            return f"it could not be set aside ({exc})"
        if copy and digest is not None:
            self._copies[digest] = dest
        return f"a copy was saved as {dest}" if copy else f"it was moved to {dest}"


# --------------------------------------------------------------------------- locking


class FileLock:
    """An exclusive lock between basket-builder processes, on every OS: the
    ``filelock`` package takes ``flock`` on Linux and macOS and ``msvcrt``
    locking on Windows (where a hand-written ``fcntl`` lock would do nothing).

    Held only for the few milliseconds of a read-merge-write, so a short
    timeout is enough; a longer wait means another process is stuck.
    Not re-entrant: taking it twice through one object is a bug.
    """

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._held: Any = None

    def acquire(self) -> None:
        # Imported here, not at the top: saving is the only user, and the
        # first paint should not wait for it.
        import filelock

        if self._held is not None:
            raise RuntimeError(f"{self.path} is already locked by this FileLock")
        lock = filelock.FileLock(
            self.path, timeout=self.timeout, mode=0o600, thread_local=False, is_singleton=False
        )
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreError(
                f"another basket-builder is holding {self.path} "
                f"(waited {self.timeout:g} s); close the other window or try again",
                self.path,
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot lock {self.path}: {describe_os_error(exc, self.path)}", self.path
            ) from exc
        self._held = lock

    def release(self) -> None:
        lock, self._held = self._held, None
        if lock is not None:
            lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


# --------------------------------------------------------------------------- merging


def merge_three_way(
    base: dict[Any, Any], ours: dict[Any, Any], theirs: dict[Any, Any]
) -> tuple[dict[Any, Any], list[str]]:
    """Merge two edits of ``base`` key by key; a missing key means deleted.

    A side that left a key as it was takes the other side's value (deletion
    included), so two instances never drop each other's changes. When both
    changed a key differently, ours wins and the key is listed as a conflict.
    """
    merged: dict[Any, Any] = {}
    conflicts: list[str] = []
    for key in dict.fromkeys([*ours, *theirs, *base]):
        b = base.get(key, _MISSING)
        o = ours.get(key, _MISSING)
        t = theirs.get(key, _MISSING)
        if _same(o, b):
            value = t
        elif _same(t, b) or _same(o, t):
            value = o
        else:
            value = o
            conflicts.append(str(key))
        if value is not _MISSING:
            merged[key] = value
    return merged, conflicts


def _same(a: Any, b: Any) -> bool:
    # The sentinel must only ever equal itself, whatever == on values does.
    if a is _MISSING or b is _MISSING:
        return a is b
    return bool(a == b)


@dataclass
class Document:
    """A versioned config document as read from disk: its bytes, its parsed
    top level, or why it cannot be used (``newer``: written by a later release,
    so the original is kept in place)."""

    raw: bytes | None = None
    doc: dict[str, Any] | None = None
    fatal: str | None = None
    newer: bool = False


def read_document(
    path: Path, parse: Callable[[str], Any], supported_version: int
) -> Document:
    """Read, decode and parse a file, and check its ``version``. ``parse``
    raises ValueError with a message that says where the text is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Document()
    except OSError as exc:
        return Document(fatal=exc.strerror or str(exc))
    try:
        doc = parse(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Document(raw=raw, fatal="it is not UTF-8 text")
    except ValueError as exc:
        return Document(raw=raw, fatal=str(exc))
    if not isinstance(doc, dict):
        return Document(raw=raw, fatal="its top level is not a table of settings")
    version = doc.get("version", supported_version)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return Document(raw=raw, fatal=f"'version' must be a whole number, got {version!r}")
    if version > supported_version:
        return Document(
            raw=raw,
            fatal=f"it was written by a newer basket-builder (file version {version})",
            newer=True,
        )
    return Document(raw=raw, doc=doc)
