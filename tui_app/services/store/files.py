"""Low-level file helpers for everything basket-builder keeps on disk.

Three promises hold for every file written here: a crash or a full disk never
leaves half a file behind (write a temp file, fsync, rename over the old one),
a secret is never readable by others even for a moment (the temp file is
created with its final mode), and a file that cannot be read is set aside
rather than overwritten, so nothing a user typed is silently lost.

Reading is as careful: every store file is read through ``read_parsed``, which
takes plain files only (a symbolic link is refused, never followed, so nothing
outside the folder is read, chmod'ed or moved), at most ``MAX_FILE_BYTES`` of
them, and turns whatever a parser cannot cope with (bad syntax, bad encoding,
values nested more than ``MAX_NESTING`` levels deep, exhausted memory) into a
reason, so the caller can set the file aside and carry on.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MISSING: Any = object()

# Every store file is small (the biggest, an order, is kilobytes); anything
# larger is not one of ours, and reading it whole could exhaust memory.
MAX_FILE_BYTES = 16 * 1024 * 1024
# The deepest of our formats nests about 8 levels (an order's items and
# offers). A limit far above that keeps every later step — validation, the
# merge, writing it back — clear of Python's recursion limit.
MAX_NESTING = 32

# Where the platform has them (not Windows): refuse to open through a link,
# and never block opening a FIFO that stands where a file should be.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


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


# --------------------------------------------------------------------------- reading


class RefusedFile(Exception):
    """A store file basket-builder will not read or change: a symbolic link,
    something other than a plain file, or far too big. The message is the
    reason, phrased to follow "<file> could not be read (...)"."""


def read_plain_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a plain file of at most ``limit`` bytes.

    Never through a symbolic link (O_NOFOLLOW where the platform has it, a
    look first where it has not), never from a FIFO or device. Raises
    RefusedFile, or OSError (FileNotFoundError when there is no file).
    """
    fd, info = _open_plain(Path(path))
    try:
        if info.st_size > limit:
            raise RefusedFile(_too_large(limit))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                raise RefusedFile(_too_large(limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def make_private(path: Path, mode: int = 0o600) -> None:
    """chmod a plain file, never the target of a link standing in its place.
    Raises RefusedFile or OSError."""
    fd, _ = _open_plain(Path(path))
    try:
        fchmod = getattr(os, "fchmod", None)  # not on Windows before 3.13
        if fchmod is not None:
            fchmod(fd, mode)
        else:
            os.chmod(path, mode)  # only the read-only flag there, and no links were followed
    finally:
        os.close(fd)


def _make_private(path: Path) -> None:
    # Best effort: whatever is in the way of a chmod is no reason to keep a
    # bad file in place (and a link needs no mode).
    with contextlib.suppress(OSError, RefusedFile):
        make_private(path)


def _open_plain(path: Path) -> tuple[int, os.stat_result]:
    if not _NOFOLLOW and os.path.islink(path):
        raise RefusedFile(_link_reason(path))
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
    except OSError as exc:
        # O_NOFOLLOW on a link: ELOOP on Linux and macOS, EMLINK on FreeBSD.
        if exc.errno in (errno.ELOOP, getattr(errno, "EMLINK", None)) and os.path.islink(path):
            raise RefusedFile(_link_reason(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a plain file"
            raise RefusedFile(f"it is {kind}; basket-builder only reads plain files there")
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _link_reason(path: Path) -> str:
    try:
        target = f" to {os.readlink(path)}"
    except OSError:
        target = ""
    return (
        f"it is a symbolic link{target}, and basket-builder never follows links for its own "
        "files; the link's target was left untouched"
    )


def _too_large(limit: int) -> str:
    return f"it is larger than {limit // (1024 * 1024)} MiB, far more than basket-builder writes"


def _too_deep() -> str:
    return f"its values are nested more than {MAX_NESTING} levels deep"


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and tables nest more than ``limit`` deep (the top level
    counts as 1): level by level, without recursing."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def long_dotted_key(text: str, max_parts: int = MAX_NESTING) -> int | None:
    """Where the first dotted key of more than ``max_parts`` parts starts
    (``a.b.c... = 1`` or ``[a.b.c...]``), if there is one.

    tomllib takes time quadratic in the parts of a key (minutes for a line of
    100,000 of them), and such a key nests values too deep to use anyway, so
    callers refuse it before parsing. Only a line with that many dots can
    hold one: those are found first, in one quick pass.
    """
    many_dots, long_key = _dotted_key_patterns(max_parts)
    position = 0
    while (dots := many_dots.search(text, position)) is not None:
        start = text.rfind("\n", 0, dots.start()) + 1
        end = text.find("\n", dots.end())
        end = len(text) if end < 0 else end
        key = long_key.search(text, start, end)
        if key is not None:
            return key.start()
        position = end
    return None


@functools.cache
def _dotted_key_patterns(max_parts: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    part = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
    # A key starts a line, follows [ or [[ (a table), or { or , (an inline
    # table): not a comment or a value. Possessive: no backtracking.
    return (
        re.compile(rf"\.(?:[^.\n]*+\.){{{max_parts - 1}}}"),
        re.compile(
            rf"(?:^|[\[{{,])[ \t]*+{part}(?:[ \t]*+\.[ \t]*+{part}){{{max_parts},}}", re.M
        ),
    )


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib, with its complaint turned into "line L, column C: what"."""
    at = long_dotted_key(text)
    if at is not None:
        raise ValueError(f"line {text.count(chr(10), 0, at) + 1}: {_too_deep()}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(_describe_toml_error(exc)) from None


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    # "Expected '=' ... (at line 3, column 5)" -> "line 3, column 5: expected '=' ..."
    text = str(exc)
    match = re.fullmatch(r"(?s)(.*?) \(at line (\d+), column (\d+)\)", text)
    if not match:
        return text
    message, line, column = match.groups()
    return f"line {line}, column {column}: {message[:1].lower()}{message[1:]}"


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


# --------------------------------------------------------------------------- quarantine


def quarantine(path: Path, reason: str, *, copy: bool = False) -> Path:
    """Set a file that cannot be used aside as ``<name>.corrupt-<stamp>``.

    ``copy=True`` keeps the original in place (used when part of it is still
    good, or it was written by a newer version). What is set aside is private
    (0600), copied or moved: it may hold secrets. A symbolic link is moved as
    it is — never read through, and its target never changed. Raises
    StoreError if the disk refuses.
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
                data = read_plain_file(path)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            os.close(fd)
            # Private before the move, so a loose secrets file is never
            # readable by others under its new name either.
            _make_private(path)
            os.replace(path, target)
    except RefusedFile as exc:
        _unlink_quietly(target)
        raise StoreError(f"cannot set {path} aside: {exc}", path) from exc
    except OSError as exc:
        _unlink_quietly(target)
        if isinstance(exc, FileNotFoundError) and not os.path.lexists(path):
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
        self._set_aside_a_link()
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

    def _set_aside_a_link(self) -> None:
        # filelock opens the lock file with O_TRUNC and chmods it: through a
        # symbolic link that would empty and chmod the link's target.
        if not os.path.islink(self.path):
            return
        try:
            quarantine(self.path, "the lock file is a symbolic link; a plain one is made instead")
        except StoreError:
            if os.path.islink(self.path):  # not just another instance moving it first
                raise

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


def read_parsed(path: Path, parse: Callable[[str], Any]) -> Document:
    """The one reader under every store file: read (a plain file, see
    ``read_plain_file``), decode and parse, and say why when that fails.

    ``parse`` raises ValueError with a message that says where the text is
    wrong. Nothing a file holds makes this raise: a recursion or memory error
    from the parser, or values nested deeper than ``MAX_NESTING`` (which
    would make every later step recurse), become the reason (``fatal``).
    """
    path = Path(path)
    try:
        raw = read_plain_file(path)
    except FileNotFoundError:
        return Document()
    except RefusedFile as exc:
        return Document(fatal=str(exc))
    except OSError as exc:
        return Document(fatal=exc.strerror or str(exc))
    except MemoryError:
        return Document(fatal="it is too large to read")
    try:
        doc = parse(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Document(raw=raw, fatal="it is not UTF-8 text")
    except ValueError as exc:
        return Document(raw=raw, fatal=str(exc))
    except RecursionError:
        return Document(raw=raw, fatal=_too_deep())
    except MemoryError:
        return Document(raw=raw, fatal="it is too large to read")
    if not isinstance(doc, dict):
        return Document(raw=raw, fatal="its top level is not a table of settings")
    if nested_deeper_than(doc, MAX_NESTING):
        return Document(raw=raw, fatal=_too_deep())
    return Document(raw=raw, doc=doc)


def read_document(
    path: Path, parse: Callable[[str], Any], supported_version: int
) -> Document:
    """``read_parsed``, then check the document's ``version``."""
    read = read_parsed(path, parse)
    if read.doc is None:
        return read
    raw, doc = read.raw, read.doc
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
