"""Session state in ``session.json``: the active profile, the current basket and
the recent ones, so a tester can close the app and carry on where they were.

The file holds landing-state cookies, so it is private (0600). It is a cache:
anything unreadable is set aside with a warning and the app starts fresh.
Like profiles, ``save()`` merges with what another running instance wrote.
Baskets' orders are kept out of it (see order_cache.py) so it stays small:
it is saved after every change. The store may be saved from a background
thread while the UI changes it; one lock keeps the two apart.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from tui_app.services.api.models import format_location
from tui_app.services.store.files import (
    FileLock,
    SetAside,
    atomic_write,
    merge_three_way,
    parse_json,
    read_document,
)
from tui_app.services.store.paths import AppPaths

FILE_VERSION = 1
MAX_RECENT = 30
SESSION_MODE = 0o600

Text = Annotated[str, StringConstraints(min_length=1)]


def _now() -> datetime:
    return datetime.now(UTC)


class BasketRecord(BaseModel):
    """One basket as this app last saw it, and where it lives."""

    model_config = ConfigDict(frozen=True)

    profile: str
    # Which server the basket lives on (a base URL, or "sandbox:embedded"), so
    # a tenant's basket is never mixed up with a sandbox one of the same id.
    endpoint: Text
    basket_id: Text
    external_id: str | None = None
    country: str | None = None
    cookies: dict[str, str] = Field(default_factory=dict)
    items: int | None = Field(default=None, ge=0)  # order lines, for the resume list
    label: str | None = None
    updated_at: datetime = Field(default_factory=_now)

    @field_validator("updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # A naive time can only have come from us or a hand edit: read it as UTC.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.basket_id)


class SessionState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = FILE_VERSION
    active_profile: str | None = None
    current: BasketRecord | None = None
    recent: list[BasketRecord] = Field(default_factory=list)

    @field_validator("recent")
    @classmethod
    def _newest_unique(cls, records: list[BasketRecord]) -> list[BasketRecord]:
        # Newest first, one entry per basket, and a cap so the file stays small.
        ordered = sorted(records, key=lambda r: r.updated_at, reverse=True)
        unique = {}
        for record in ordered:
            unique.setdefault(record.key, record)
        return list(unique.values())[:MAX_RECENT]


# --------------------------------------------------------------------------- merge form


def _entry_key(key: tuple[str, str]) -> str:
    return f"{key[0]}|{key[1]}"


def _canonical(state: SessionState) -> dict[str, Any]:
    """A plain form for three-way merging: scalars, plus recent keyed by basket."""
    return {
        "active_profile": state.active_profile,
        "current": state.current.model_dump(mode="json") if state.current else None,
        "recent": {_entry_key(r.key): r.model_dump(mode="json") for r in state.recent},
    }


# --------------------------------------------------------------------------- reading


@dataclass
class _Disk:
    state: SessionState = field(default_factory=SessionState)
    problems: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # fields / recent keys that were bad
    fatal: str | None = None
    newer: bool = False
    raw: bytes | None = None

    @property
    def clean(self) -> bool:
        return self.fatal is None and not self.problems


def _read(path: Path) -> _Disk:
    read = read_document(path, parse_json, FILE_VERSION)
    disk = _Disk(raw=read.raw, fatal=read.fatal, newer=read.newer)
    if read.doc is None:
        return disk
    doc = read.doc
    disk.state = _salvage(doc, disk)
    return disk


def _salvage(doc: dict[str, Any], disk: _Disk) -> SessionState:
    """Keep every part of the document that is valid; note the rest."""
    active = doc.get("active_profile")
    if active is not None and not isinstance(active, str):
        disk.problems.append("active_profile: must be a profile name")
        disk.unknown.add("active_profile")
        active = None
    current = None
    if doc.get("current") is not None:
        try:
            current = BasketRecord.model_validate(doc["current"])
        except ValidationError as exc:
            disk.problems += _describe(exc, "current")
            disk.unknown.add("current")
    recent_raw = doc.get("recent", [])
    if not isinstance(recent_raw, list):
        disk.problems.append("recent: must be a list")
        recent_raw = []
    recent = []
    for index, item in enumerate(recent_raw):
        try:
            recent.append(BasketRecord.model_validate(item))
        except ValidationError as exc:
            disk.problems += _describe(exc, f"recent[{index}]")
            if isinstance(item, dict):
                disk.unknown.add(
                    _entry_key((str(item.get("endpoint")), str(item.get("basket_id"))))
                )
    return SessionState(active_profile=active, current=current, recent=recent)


def _describe(exc: ValidationError, prefix: str) -> list[str]:
    lines = []
    for detail in exc.errors(include_url=False):
        where = format_location(detail.get("loc", ()), prefix)
        message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def _theirs(disk: _Disk, base: dict[str, Any]) -> dict[str, Any]:
    """What is on disk now, with unreadable parts counted as unchanged."""
    if disk.fatal is not None:
        return base
    theirs = _canonical(disk.state)
    for name in ("active_profile", "current"):
        if name in disk.unknown:
            theirs[name] = base[name]
    for key in disk.unknown & base["recent"].keys():
        theirs["recent"].setdefault(key, base["recent"][key])
    return theirs


def _merge(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> tuple[SessionState, list[str]]:
    def scalars(canon: dict[str, Any]) -> dict[str, Any]:
        return {"active_profile": canon["active_profile"], "current": canon["current"]}

    top, conflicts = merge_three_way(scalars(base), scalars(ours), scalars(theirs))
    recent, clashes = merge_three_way(base["recent"], ours["recent"], theirs["recent"])
    # Both windows touched the same basket: the later update is the truer one.
    for key in clashes:
        mine, other = ours["recent"].get(key), theirs["recent"].get(key)
        if mine is not None and other is not None and _stamp(other) > _stamp(mine):
            recent[key] = other
    state = SessionState(
        active_profile=top.get("active_profile"),
        current=top.get("current"),
        recent=list(recent.values()),
    )
    notes = {
        "active_profile": "the active profile was also changed in another basket-builder; "
        "kept the one from here",
        "current": "the current basket was also changed in another basket-builder; "
        "kept the one from here",
    }
    return state, [notes[name] for name in conflicts]


def _stamp(entry: dict[str, Any]) -> datetime:
    return BasketRecord.model_validate(entry).updated_at


# --------------------------------------------------------------------------- the store


class SessionStore:
    """The session, loaded from and saved to ``session.json``."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self._state = SessionState()
        self._base = _canonical(self._state)  # what disk held when last read/written
        self._set_aside = SetAside()
        self._lock = threading.RLock()

    @property
    def state(self) -> SessionState:
        return self._state

    def set_active_profile(self, name: str | None) -> None:
        self._update(active_profile=name)

    def remember(self, record: BasketRecord, make_current: bool = True) -> BasketRecord:
        """Put a basket at the top of the recent list (stamped now); returns
        the stored record."""
        record = record.model_copy(update={"updated_at": _now()})
        with self._lock:
            recent = [record, *(r for r in self._state.recent if r.key != record.key)]
            current = self._state.current
            if make_current or (current is not None and current.key == record.key):
                current = record
            self._update(recent=recent, current=current)
        return record

    def forget(self, key: tuple[str, str]) -> None:
        """Drop a basket from the recent list (and as current, if it is)."""
        with self._lock:
            current = self._state.current
            if current is not None and current.key == key:
                current = None
            self._update(recent=[r for r in self._state.recent if r.key != key],
                         current=current)

    def clear_current(self) -> None:
        self._update(current=None)

    def recent_for(self, endpoint: str) -> list[BasketRecord]:
        return [r for r in self._state.recent if r.endpoint == endpoint]

    def _update(self, **changes: Any) -> None:
        # Rebuild (not model_copy) so the recent list is re-sorted and capped.
        with self._lock:
            fields = {
                "active_profile": self._state.active_profile,
                "current": self._state.current,
                "recent": self._state.recent,
            }
            self._state = SessionState(**(fields | changes))

    # ------------------------------------------------------------------ disk

    def load(self) -> list[str]:
        """Read the file; returns warnings (never raises for bad content)."""
        with self._lock:
            disk = _read(self.paths.session_file)
            warnings = self._handle_bad(disk, strict=False)
            self._state = disk.state
            self._base = _canonical(disk.state)
            return warnings

    def save(self) -> list[str]:
        """Merge with what is on disk now and write; returns notes. Raises
        StoreError if the disk refuses."""
        with self._lock:
            return self._save()

    def _save(self) -> list[str]:
        self.paths.ensure()
        with FileLock(self.paths.lock_file):
            disk = _read(self.paths.session_file)
            notes = self._handle_bad(disk, strict=True)
            ours = _canonical(self._state)
            state, conflicts = _merge(self._base, ours, _theirs(disk, self._base))
            merged = _canonical(state)
            if not disk.clean or merged != _canonical(disk.state):
                data = json.dumps(state.model_dump(mode="json"), indent=2, ensure_ascii=False)
                atomic_write(self.paths.session_file, (data + "\n").encode("utf-8"), SESSION_MODE)
        self._state = state
        self._base = merged
        return notes + conflicts

    def _handle_bad(self, disk: _Disk, *, strict: bool) -> list[str]:
        if disk.clean:
            return []
        copy = disk.newer or disk.fatal is None
        path = self.paths.session_file
        where = self._set_aside(
            path, disk.raw, disk.fatal or "invalid entries", copy=copy, strict=strict
        )
        if where is None:
            return []
        if disk.fatal is not None:
            then = "saved this window's session in its place" if strict else "starting afresh"
            return [f"{path.name} could not be read ({disk.fatal}); {where}; {then}"]
        return [
            f"{path.name}: some entries could not be used and were left out; {where}",
            *disk.problems,
        ]
