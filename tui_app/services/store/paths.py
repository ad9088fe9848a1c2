"""Where basket-builder keeps its files.

One object answers "where is X" for the whole app, so ``--config-dir`` (or
``BASKET_BUILDER_CONFIG_DIR``) relocates everything at once and tests can point
it at ``tmp_path`` without touching the developer's own config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tui_app.services.store.files import StoreError

APP_NAME = "basket-builder"
CONFIG_DIR_ENV = "BASKET_BUILDER_CONFIG_DIR"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path

    @classmethod
    def resolve(cls, config_dir: Path | str | None = None) -> AppPaths:
        """An explicit dir wins, then the env var, then the platform's dirs.

        An explicit dir holds data too (``<dir>/data``): whoever relocates the
        config wants nothing left behind in their home directory.
        """
        chosen = config_dir if config_dir is not None else os.environ.get(CONFIG_DIR_ENV) or None
        if chosen is not None:
            root = Path(chosen).expanduser().absolute()
            return cls(config_dir=root, data_dir=root / "data")
        # platformdirs honours XDG_CONFIG_HOME / XDG_DATA_HOME on Linux.
        return cls(
            config_dir=platformdirs.user_config_path(APP_NAME),
            data_dir=platformdirs.user_data_path(APP_NAME),
        )

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.toml"

    @property
    def secrets_file(self) -> Path:
        return self.config_dir / "secrets.toml"

    @property
    def session_file(self) -> Path:
        return self.config_dir / "session.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def themes_dir(self) -> Path:
        return self.config_dir / "themes"

    @property
    def lock_file(self) -> Path:
        return self.config_dir / ".lock"

    @property
    def orders_dir(self) -> Path:
        """The last confirmed order of each remembered basket (a cache)."""
        return self.data_dir / "orders"

    @property
    def sandbox_db(self) -> Path:
        return self.data_dir / "sandbox.sqlite3"

    @property
    def sandbox_log(self) -> Path:
        """What the embedded sandbox's process said (warnings, a crash)."""
        return self.data_dir / "sandbox.log"

    def ensure(self) -> None:
        """Create the folders (private to the user); StoreError if impossible."""
        for label, folder in (
            ("config", self.config_dir),
            ("data", self.data_dir),
            ("themes", self.themes_dir),
        ):
            _make_dir(label, folder)


def _make_dir(label: str, folder: Path) -> None:
    advice = f"choose another place with --config-dir or {CONFIG_DIR_ENV}"
    if folder.exists() and not folder.is_dir():
        raise StoreError(
            f"cannot create {label} directory {folder}: a file with that name is in the way; "
            f"move it or {advice}",
            folder,
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        # FileExistsError / NotADirectoryError here mean a parent is a file.
        reason = exc.strerror or str(exc)
        raise StoreError(
            f"cannot create {label} directory {folder}: {reason}; {advice}", folder
        ) from exc
