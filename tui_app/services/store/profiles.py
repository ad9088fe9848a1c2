"""Connection profiles in ``profiles.toml``; their secrets in ``secrets.toml``.

Secrets live in a separate file with mode 0600 so the profiles file can be
shown, shared or pasted into a bug report without leaking a token. Both files
are edited by people too, so bad content is reported and set aside, never
fatal; only a disk that refuses a write raises (StoreError).

Two running instances may edit the same files: ``save()`` re-reads them under
a lock and merges three-way (per profile) against what this instance last saw,
so neither silently drops the other's changes.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from tui_app.services.api.models import format_location
from tui_app.services.store.files import (
    FileLock,
    RefusedFile,
    SetAside,
    atomic_write,
    make_private,
    merge_three_way,
    parse_toml,
    read_document,
)
from tui_app.services.store.paths import AppPaths

FILE_VERSION = 1
SECRETS_MODE = 0o600

# C0/C1 controls and the Unicode line separators: they garble a terminal.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

_PROFILES_HEADER = "# basket-builder profiles. Tokens and client secrets live in secrets.toml.\n"
_SECRETS_HEADER = "# basket-builder secrets: keep this file private (mode 0600).\n"


class AuthKind(StrEnum):
    BEARER = "bearer"
    CLIENT_CREDENTIALS = "client_credentials"


def _blank_to_none(value: Any) -> Any:
    # Forms hand over "" for a field left empty; that means "not set".
    if isinstance(value, str) and not value.strip():
        return None
    return value


# Bidirectional overrides and isolates make a name display as something else.
_BIDI_OVERRIDE_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _no_control(value: str | None) -> str | None:
    if value is not None and _CONTROL_RE.search(value):
        raise ValueError("must not contain control characters")
    if value is not None and _BIDI_OVERRIDE_RE.search(value):
        raise ValueError("must not contain right-to-left override characters")
    return value


def _no_space(value: str | None) -> str | None:
    if value is not None and any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    return value


class Profile(BaseModel):
    """Where and how to reach one tenant (or a sandbox); nothing secret."""

    # Frozen: a profile handed out by the store cannot change behind its back.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    tenant: str | None = None
    base_url: str | None = None
    auth: AuthKind = AuthKind.CLIENT_CREDENTIALS
    client_id: str | None = None
    timeout: float = 30.0
    cookie_template: str | None = None
    ca_bundle: str | None = None

    @field_validator(
        "tenant", "base_url", "client_id", "cookie_template", "ca_bundle", mode="before"
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("name", "client_id", "ca_bundle", "cookie_template")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return _no_control(value)

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        # Light checks only: the client validates hosts and URLs fully.
        _no_space(_no_control(value))
        if value is not None and "://" in value:
            raise ValueError(
                "is a host name such as acme.prod.limio.com; put a full URL in base_url instead"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        _no_space(_no_control(value))
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: float) -> float:
        if not 1 <= value <= 600:
            raise ValueError("must be between 1 and 600 seconds")
        return value

    @field_validator("cookie_template")
    @classmethod
    def _cookie_template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "{basket_id}" not in value or "=" not in value:
            raise ValueError("must look like name={basket_id}")
        try:
            value.format(basket_id="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may only use {basket_id} as a placeholder") from None
        return value

    @model_validator(mode="after")
    def _target_and_auth(self) -> Profile:
        if self.tenant and self.base_url:
            raise ValueError("set either tenant or base_url, not both")
        if not self.tenant and not self.base_url:
            raise ValueError(
                "set tenant (e.g. acme.prod.limio.com) or base_url (e.g. http://127.0.0.1:8765/api)"
            )
        if self.auth == AuthKind.CLIENT_CREDENTIALS and not self.client_id:
            raise ValueError("client_id is required when auth is client_credentials")
        return self


class Secrets(BaseModel):
    """A profile's credentials; SecretStr keeps them out of reprs and logs."""

    # hide_input_in_errors: a ValidationError must not echo a secret either.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    token: SecretStr | None = None
    client_secret: SecretStr | None = None

    @field_validator("token", "client_secret", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @property
    def is_empty(self) -> bool:
        return self.token is None and self.client_secret is None

    def reveal(self) -> dict[str, str]:
        """The plain values, for the secrets file and the auth module only."""
        values = {"token": self.token, "client_secret": self.client_secret}
        return {key: secret.get_secret_value() for key, secret in values.items() if secret}


# --------------------------------------------------------------------------- reading


@dataclass
class _Disk:
    """What one file held: the good entries (canonical), and what was wrong."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad: dict[str, list[str]] = field(default_factory=dict)  # name -> problems
    fatal: str | None = None  # the whole file is unusable, and why
    newer: bool = False  # written by a newer version: keep the original in place
    raw: bytes | None = None

    @property
    def exists(self) -> bool:
        return self.raw is not None

    @property
    def clean(self) -> bool:
        return self.fatal is None and not self.bad


# An entry parser turns (key, table) into (name, canonical table) or raises.
_EntryParser = Callable[[str, Any], tuple[str, dict[str, Any]]]


def _read_doc(path: Path, parse_entry: _EntryParser) -> _Disk:
    read = read_document(path, parse_toml, FILE_VERSION)
    disk = _Disk(raw=read.raw, fatal=read.fatal, newer=read.newer)
    if read.doc is None:
        return disk
    doc = read.doc
    tables = doc.get("profiles", {})
    if not isinstance(tables, dict):
        disk.fatal = "'profiles' must be a table"
        return disk
    for key, table in tables.items():
        try:
            name, entry = parse_entry(key, table)
        except ValidationError as exc:
            disk.bad[key] = _describe_entry_error(exc)
            continue
        except ValueError as exc:
            disk.bad[key] = [str(exc)]
            continue
        if name in disk.entries:
            disk.bad[key] = [f"same name as another profile ({name!r})"]
            continue
        disk.entries[name] = entry
    return disk


def _describe_entry_error(exc: ValidationError) -> list[str]:
    lines = []
    for detail in exc.errors(include_url=False):
        where = format_location(detail.get("loc", ()))
        message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
        if detail.get("type") == "extra_forbidden":
            message = (
                "secrets belong in secrets.toml, not here"
                if where in ("token", "client_secret")
                else "unknown setting"
            )
        lines.append(f"{where}: {message}" if where else message)
    return lines


def _parse_profile(key: str, table: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(table, dict):
        raise ValueError("must be a table of settings")
    # The table's key is the name; a stray `name = ...` line cannot override it.
    profile = Profile.model_validate({**table, "name": key})
    return profile.name, _canonical(profile)


def _parse_secrets(key: str, table: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(table, dict):
        raise ValueError("must be a table with token and/or client_secret")
    return key.strip(), Secrets.model_validate(table).reveal()


def _canonical(profile: Profile) -> dict[str, Any]:
    # One form for comparing and writing: JSON-ish values, no None, no name.
    return profile.model_dump(mode="json", exclude_none=True, exclude={"name"})


def _dump(header: str, entries: dict[str, dict[str, Any]]) -> bytes:
    body = {"version": FILE_VERSION, "profiles": dict(sorted(entries.items()))}
    return (header + "\n" + tomli_w.dumps(body)).encode("utf-8")


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class _FileSpec:
    path: Path
    parse: _EntryParser
    kind: str  # "profile" or "secrets of profile", for messages
    fresh: str  # what a user starts with when the file is unusable at load
    kept: str  # what was written instead when it is unusable at save


class ProfileStore:
    """Profiles and their secrets, loaded from and saved to the config dir."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self._profiles: dict[str, Profile] = {}
        self._secrets: dict[str, dict[str, str]] = {}
        # What was on disk when last loaded or saved: the base of the merge.
        self._base_profiles: dict[str, dict[str, Any]] = {}
        self._base_secrets: dict[str, dict[str, str]] = {}
        self._set_aside = SetAside()
        self._profiles_spec = _FileSpec(
            paths.profiles_file,
            _parse_profile,
            kind="profile",
            fresh="starting with no profiles",
            kept="saved the profiles from this window in its place",
        )
        self._secrets_spec = _FileSpec(
            paths.secrets_file,
            _parse_secrets,
            kind="secrets of profile",
            fresh="starting with no saved secrets",
            kept="saved the secrets from this window in its place",
        )

    # ------------------------------------------------------------------ reading state

    def profiles(self) -> list[Profile]:
        return [self._profiles[name] for name in sorted(self._profiles)]

    def get(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def secrets_for(self, name: str) -> Secrets:
        return Secrets.model_validate(self._secrets.get(name, {}))

    # ------------------------------------------------------------------ editing (in memory)

    def put(self, profile: Profile, secrets: Secrets | None = None) -> None:
        """Add or replace a profile; ``secrets=None`` keeps its current secrets."""
        self._profiles[profile.name] = profile
        if secrets is not None:
            self._set_secrets(profile.name, secrets.reveal())

    def rename(self, old: str, new: str) -> Profile:
        """Rename a profile and carry its secrets along; raises ValueError if
        ``old`` does not exist or ``new`` is taken (ValidationError if invalid)."""
        current = self._profiles.get(old)
        if current is None:
            raise ValueError(f"there is no profile named {old!r}")
        renamed = Profile.model_validate({**current.model_dump(), "name": new})
        if renamed.name == old:
            return current
        if renamed.name in self._profiles:
            raise ValueError(f"a profile named {renamed.name!r} already exists")
        del self._profiles[old]
        self._profiles[renamed.name] = renamed
        self._set_secrets(renamed.name, self._secrets.pop(old, {}))
        return renamed

    def delete(self, name: str) -> None:
        """Forget a profile and its secrets (no error if it is already gone)."""
        self._profiles.pop(name, None)
        self._secrets.pop(name, None)

    def _set_secrets(self, name: str, values: dict[str, str]) -> None:
        if values:
            self._secrets[name] = dict(values)
        else:
            self._secrets.pop(name, None)

    # ------------------------------------------------------------------ disk

    def load(self) -> list[str]:
        """Read both files; returns warnings for anything set aside or fixed."""
        warnings: list[str] = []
        profiles = _read_doc(self._profiles_spec.path, self._profiles_spec.parse)
        warnings += self._handle_bad(profiles, self._profiles_spec, strict=False)
        secrets = _read_doc(self._secrets_spec.path, self._secrets_spec.parse)
        warnings += self._handle_bad(secrets, self._secrets_spec, strict=False)
        warnings += self._tighten_secrets_mode()
        self._adopt(profiles.entries, secrets.entries)
        return warnings

    def save(self) -> list[str]:
        """Merge with what is on disk now and write; returns notes (conflicts,
        files set aside). Raises StoreError if the disk refuses."""
        self.paths.ensure()
        notes: list[str] = []
        with FileLock(self.paths.lock_file):
            disk_p = _read_doc(self._profiles_spec.path, self._profiles_spec.parse)
            disk_s = _read_doc(self._secrets_spec.path, self._secrets_spec.parse)
            notes += self._handle_bad(disk_p, self._profiles_spec, strict=True)
            notes += self._handle_bad(disk_s, self._secrets_spec, strict=True)
            ours_p = {name: _canonical(p) for name, p in self._profiles.items()}
            merged_p, conflicts_p = merge_three_way(
                self._base_profiles, ours_p, _theirs(disk_p, self._base_profiles)
            )
            merged_s, conflicts_s = merge_three_way(
                self._base_secrets, self._secrets, _theirs(disk_s, self._base_secrets)
            )
            # Secrets first: a profile should never appear before its secret.
            if _needs_write(disk_s, merged_s):
                data = _dump(_SECRETS_HEADER, merged_s)
                atomic_write(self._secrets_spec.path, data, SECRETS_MODE)
            if _needs_write(disk_p, merged_p):
                atomic_write(self._profiles_spec.path, _dump(_PROFILES_HEADER, merged_p))
        self._adopt(merged_p, merged_s)
        notes += [
            f"profile {name!r} was changed both here and in another basket-builder; "
            "kept the version from here"
            for name in conflicts_p
        ]
        notes += [
            f"the secrets of profile {name!r} were changed both here and in another "
            "basket-builder; kept the ones from here"
            for name in conflicts_s
        ]
        return notes

    def _adopt(
        self, profiles: dict[str, dict[str, Any]], secrets: dict[str, dict[str, str]]
    ) -> None:
        self._base_profiles = {name: dict(entry) for name, entry in profiles.items()}
        self._base_secrets = {name: dict(entry) for name, entry in secrets.items()}
        self._profiles = {
            name: Profile.model_validate({**entry, "name": name})
            for name, entry in profiles.items()
        }
        self._secrets = {name: dict(entry) for name, entry in secrets.items()}

    def _handle_bad(self, disk: _Disk, spec: _FileSpec, *, strict: bool) -> list[str]:
        """Set an unusable (or partly unusable) file aside and say so."""
        if disk.clean:
            return []
        # Keep the original in place when part of it is still in use (or it
        # belongs to a newer version); otherwise move it out of the way.
        copy = disk.newer or disk.fatal is None
        reason = disk.fatal or "invalid entries"
        where = self._set_aside(spec.path, disk.raw, reason, copy=copy, strict=strict)
        if where is None:
            return []
        name = spec.path.name
        if disk.fatal is not None:
            then = spec.kept if strict else spec.fresh
            return [f"{name} could not be read ({disk.fatal}); {where}; {then}"]
        count = len(disk.bad)
        entries = "1 entry" if count == 1 else f"{count} entries"
        lines = [f"{name}: {entries} could not be used and were left out; {where}"]
        for key, problems in disk.bad.items():
            lines += [f"{spec.kind} {key!r}: {problem}" for problem in problems]
        return lines

    def _tighten_secrets_mode(self) -> list[str]:
        path = self._secrets_spec.path
        if os.name != "posix":
            return []
        try:
            info = os.lstat(path)
        except OSError:
            return []
        # Only a plain file: a link in its place was refused (and set aside)
        # when read, and its target is none of our business to chmod.
        if not stat.S_ISREG(info.st_mode):
            return []
        mode = info.st_mode & 0o777
        if not mode & 0o077:
            return []
        try:
            make_private(path, SECRETS_MODE)
        except RefusedFile:  # swapped for something else since: it is read again next time
            return []
        except OSError as exc:
            return [
                f"{path} can be read by other users (mode {mode:04o}) and could not be "
                f"made private ({exc.strerror}); run: chmod 600 {path}"
            ]
        return [f"{path} could be read by other users (mode {mode:04o}); it is now 0600"]


def _theirs(disk: _Disk, base: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The other side of the merge: what is on disk now.

    An unreadable file, or an entry on disk that is invalid, counts as "no
    change" rather than "deleted", so a bad edit elsewhere never wipes ours.
    """
    if disk.fatal is not None:
        return dict(base)
    theirs = dict(disk.entries)
    for key in disk.bad:
        name = key.strip()
        if name not in theirs and name in base:
            theirs[name] = base[name]
    return theirs


def _needs_write(disk: _Disk, merged: dict[str, dict[str, Any]]) -> bool:
    # Skip a write that changes nothing: it keeps a hand-edited file's comments.
    if not disk.clean:
        return True
    if not disk.exists:
        return bool(merged)
    return disk.entries != merged
