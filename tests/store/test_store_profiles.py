"""Profiles and secrets on disk: formats, privacy, bad content, two instances."""

import errno
import os
import signal
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from tui_app.services.store import files
from tui_app.services.store.files import StoreError
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-RECOGNISABLE-42"
TOKEN = "tok-RECOGNISABLE-99"


@pytest.fixture
def paths(tmp_path):
    return AppPaths.resolve(tmp_path / "cfg")


def fresh(paths) -> ProfileStore:
    store = ProfileStore(paths)
    assert store.load() == []
    return store


def acme(**changes) -> Profile:
    fields = {"name": "acme", "tenant": "acme.prod.limio.com", "client_id": "cid"}
    return Profile(**(fields | changes))


def local(**changes) -> Profile:
    fields = {
        "name": "my local",
        "base_url": "http://127.0.0.1:8765/api",
        "auth": "bearer",
        "cookie_template": "basketId={basket_id}",
    }
    return Profile(**(fields | changes))


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def corrupt_copies(paths, name: str) -> list[Path]:
    return sorted(paths.config_dir.glob(f"{name}.corrupt-*"))


# --------------------------------------------------------------------------- the model


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tenant": None}, "set tenant (e.g. acme.prod.limio.com) or base_url"),
        ({"base_url": "http://x"}, "either tenant or base_url, not both"),
        ({"client_id": None}, "client_id is required when auth is client_credentials"),
        ({"timeout": 0.5}, "must be between 1 and 600 seconds"),
        ({"timeout": 601}, "must be between 1 and 600 seconds"),
        ({"name": "   "}, "at least 1 character"),
        ({"name": "x" * 65}, "at most 64 characters"),
        ({"name": "bad\nname"}, "control characters"),
        ({"tenant": "acme prod"}, "must not contain spaces"),
        ({"tenant": "https://acme.prod.limio.com"}, "put a full URL in base_url"),
        ({"cookie_template": "basketId"}, "must look like name={basket_id}"),
        ({"cookie_template": "a={basket_id}&b={other}"}, "only use {basket_id}"),
    ],
)
def test_invalid_profiles_are_refused_field_by_field(fields, expected):
    with pytest.raises(ValidationError) as caught:
        acme(**fields)
    assert expected in str(caught.value)


def test_base_url_must_be_http():
    with pytest.raises(ValidationError, match="http:// or https://"):
        local(base_url="ftp://127.0.0.1/api")


def test_profile_normalises_what_a_form_hands_over():
    profile = acme(name="  acme  ", ca_bundle="", tenant="acme.prod.limio.com:8443")
    assert profile.name == "acme"
    assert profile.ca_bundle is None
    assert profile.tenant == "acme.prod.limio.com:8443"
    assert local().auth is AuthKind.BEARER
    assert local().client_id is None  # bearer needs no client id


def test_reprs_and_errors_never_show_a_secret():
    secrets = Secrets(token=TOKEN, client_secret=SECRET)
    assert TOKEN not in repr(secrets) and SECRET not in repr(secrets)
    assert SECRET not in str(secrets)
    assert secrets.client_secret.get_secret_value() == SECRET
    with pytest.raises(ValidationError) as caught:
        Secrets(token=TOKEN, client_secret=SECRET, extra=SECRET)
    assert SECRET not in str(caught.value)


# --------------------------------------------------------------------------- formats


def test_round_trip_keeps_profiles_and_secrets_apart(paths):
    store = fresh(paths)
    store.put(acme(), Secrets(client_secret=SECRET))
    store.put(local(timeout=12), Secrets(token=TOKEN))
    assert store.save() == []

    profiles_text = paths.profiles_file.read_text()
    assert profiles_text.startswith("#")
    assert SECRET not in profiles_text and TOKEN not in profiles_text
    doc = tomllib.loads(profiles_text)
    assert doc["version"] == 1
    assert doc["profiles"]["my local"] == {
        "base_url": "http://127.0.0.1:8765/api",
        "auth": "bearer",
        "timeout": 12.0,
        "cookie_template": "basketId={basket_id}",
    }  # None values are left out
    assert '[profiles."my local"]' in profiles_text

    assert stat.S_IMODE(paths.secrets_file.stat().st_mode) == 0o600
    secrets_doc = tomllib.loads(paths.secrets_file.read_text())
    assert secrets_doc["profiles"]["acme"] == {"client_secret": SECRET}

    again = fresh(paths)
    assert [p.name for p in again.profiles()] == ["acme", "my local"]
    assert again.get("my local") == local(timeout=12)
    assert again.secrets_for("acme").client_secret.get_secret_value() == SECRET
    assert again.secrets_for("my local").token.get_secret_value() == TOKEN
    assert again.secrets_for("nobody").is_empty


def test_put_without_secrets_keeps_them_and_empty_secrets_clear_them(paths):
    store = fresh(paths)
    store.put(acme(), Secrets(client_secret=SECRET))
    store.put(acme(timeout=5))
    assert store.secrets_for("acme").client_secret.get_secret_value() == SECRET
    store.save()
    assert SECRET in paths.secrets_file.read_text()
    store.put(acme(), Secrets())
    store.save()
    assert SECRET not in paths.secrets_file.read_text()
    assert fresh(paths).secrets_for("acme").is_empty


def test_rename_carries_secrets_and_refuses_clashes(paths):
    store = fresh(paths)
    store.put(acme(), Secrets(client_secret=SECRET))
    store.put(local())
    with pytest.raises(ValueError, match="already exists"):
        store.rename("acme", "my local")
    with pytest.raises(ValueError, match="no profile named 'ghost'"):
        store.rename("ghost", "x")
    renamed = store.rename("acme", "  prod  ")
    assert renamed.name == "prod" and store.get("acme") is None
    store.save()
    again = fresh(paths)
    assert again.get("prod").tenant == "acme.prod.limio.com"
    assert again.secrets_for("prod").client_secret.get_secret_value() == SECRET
    assert again.secrets_for("acme").is_empty


def test_delete_removes_the_profile_and_its_secrets(paths):
    store = fresh(paths)
    store.put(acme(), Secrets(client_secret=SECRET))
    store.save()
    store.delete("acme")
    store.delete("acme")  # already gone: no error
    store.save()
    assert fresh(paths).profiles() == []
    assert SECRET not in paths.secrets_file.read_text()


def test_a_save_that_changes_nothing_keeps_hand_written_comments(paths):
    write(
        paths.profiles_file,
        '# my notes\nversion = 1\n[profiles.acme]\ntenant = "acme.prod.limio.com"\n'
        'client_id = "cid"\n',
    )
    store = fresh(paths)
    store.save()
    assert paths.profiles_file.read_text().startswith("# my notes")


def test_loose_secrets_file_is_made_private_with_a_warning(paths):
    write(paths.secrets_file, f'version = 1\n[profiles.acme]\ntoken = "{TOKEN}"\n')
    paths.secrets_file.chmod(0o644)
    warnings = ProfileStore(paths).load()
    assert len(warnings) == 1 and "0644" in warnings[0] and "now 0600" in warnings[0]
    assert stat.S_IMODE(paths.secrets_file.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- bad content


def test_corrupt_toml_is_moved_aside_and_the_store_still_works(paths):
    broken = 'version = 1\n[profiles.acme]\ntenant = "acme.prod.limio.com\n'
    write(paths.profiles_file, broken)
    store = ProfileStore(paths)
    warnings = store.load()

    assert len(warnings) == 1
    assert warnings[0].startswith("profiles.toml could not be read (line 3")
    assert "starting with no profiles" in warnings[0]
    [aside] = corrupt_copies(paths, "profiles.toml")
    assert str(aside) in warnings[0]
    assert aside.read_text() == broken  # nothing the user typed is lost
    assert store.profiles() == []

    store.put(acme())
    assert store.save() == []
    assert fresh(paths).get("acme") == acme()


@pytest.mark.parametrize(
    "text",
    ["profiles = 3\n", 'version = "one"\n', "version = 0\n", b"\xff\xfe garbage"],
)
def test_wrong_shapes_are_unreadable_not_fatal(paths, text):
    paths.config_dir.mkdir(parents=True)
    if isinstance(text, bytes):
        paths.profiles_file.write_bytes(text)
    else:
        paths.profiles_file.write_text(text)
    store = ProfileStore(paths)
    [warning] = store.load()
    assert "could not be read" in warning
    assert not paths.profiles_file.exists()
    assert len(corrupt_copies(paths, "profiles.toml")) == 1


def test_an_unreadable_file_is_reported(paths, monkeypatch):
    write(paths.profiles_file, "version = 1\n")
    real = files.read_plain_file

    def refuse(path, *args):
        if path.name == "profiles.toml":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, *args)

    # The one place every store file is read (running as root ignores chmod 000).
    monkeypatch.setattr(files, "read_plain_file", refuse)
    [warning] = ProfileStore(paths).load()
    assert warning.startswith("profiles.toml could not be read (Permission denied)")


def test_partly_invalid_profiles_keep_the_valid_ones(paths):
    original = (
        "version = 1\n"
        '[profiles.good]\ntenant = "acme.prod.limio.com"\nclient_id = "cid"\n'
        '[profiles.slow]\ntenant = "slow.limio.com"\nclient_id = "cid"\ntimeout = 0\n'
        '[profiles.nocreds]\ntenant = "x.limio.com"\n'
        '[profiles.leaky]\nbase_url = "http://h/api"\nauth = "bearer"\n'
        f'token = "{TOKEN}"\n'
        '[profiles.local]\nbase_url = "http://127.0.0.1:8765/api"\nauth = "bearer"\n'
    )
    write(paths.profiles_file, original)
    store = ProfileStore(paths)
    warnings = store.load()

    assert [p.name for p in store.profiles()] == ["good", "local"]
    assert "3 entries could not be used" in warnings[0]
    assert "profile 'slow': timeout: must be between 1 and 600 seconds" in warnings
    assert "profile 'nocreds': client_id is required when auth is client_credentials" in warnings
    assert "profile 'leaky': token: secrets belong in secrets.toml, not here" in warnings
    [copy] = corrupt_copies(paths, "profiles.toml")
    assert copy.read_text() == original
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it may hold a secret
    assert paths.profiles_file.read_text() == original  # left in place until a save

    assert store.save() == []  # already reported and copied: no second copy
    assert len(corrupt_copies(paths, "profiles.toml")) == 1
    text = paths.profiles_file.read_text()
    assert TOKEN not in text
    assert [p.name for p in fresh(paths).profiles()] == ["good", "local"]


def test_a_newer_file_version_is_copied_aside_not_guessed_at(paths):
    newer = 'version = 2\n[profiles.acme]\nhost = "acme"\n'
    write(paths.profiles_file, newer)
    store = ProfileStore(paths)
    [warning] = store.load()
    assert "newer basket-builder (file version 2)" in warning
    assert store.profiles() == []
    [copy] = corrupt_copies(paths, "profiles.toml")
    assert copy.read_text() == newer


def test_corrupt_secrets_file_is_moved_aside(paths):
    write(paths.secrets_file, f'token = "{TOKEN}\n')
    store = ProfileStore(paths)
    [warning] = store.load()
    assert warning.startswith("secrets.toml could not be read")
    assert "starting with no saved secrets" in warning
    assert TOKEN not in warning
    assert store.secrets_for("acme").is_empty


def test_a_file_broken_by_someone_else_before_save_is_set_aside_not_lost(paths):
    store = fresh(paths)
    store.put(acme())
    store.save()
    write(paths.profiles_file, "[[[ broken")
    store.put(local())
    [note] = store.save()
    assert "could not be read" in note and "moved to" in note
    assert [p.name for p in fresh(paths).profiles()] == ["acme", "my local"]
    [aside] = corrupt_copies(paths, "profiles.toml")
    assert aside.read_text() == "[[[ broken"


# --------------------------------------------------------------------------- the disk says no


def test_a_full_disk_raises_a_clear_error_and_keeps_both_files(paths, monkeypatch):
    store = fresh(paths)
    store.put(acme(), Secrets(client_secret=SECRET))
    store.save()
    before = (paths.profiles_file.read_bytes(), paths.secrets_file.read_bytes())

    store.put(local(), Secrets(token=TOKEN))
    with monkeypatch.context() as patch:
        patch.setattr(files.os, "write", _refuse(errno.ENOSPC))
        with pytest.raises(StoreError) as caught:
            store.save()
    assert "the disk is full" in str(caught.value)
    assert "secrets.toml" in str(caught.value)
    assert (paths.profiles_file.read_bytes(), paths.secrets_file.read_bytes()) == before

    assert store.save() == []  # nothing was lost in memory: a retry succeeds
    assert fresh(paths).get("my local") == local()


def test_a_read_only_disk_raises_a_clear_error(paths, monkeypatch):
    store = fresh(paths)
    store.put(acme())
    monkeypatch.setattr(files.os, "replace", _refuse(errno.EROFS))
    with pytest.raises(StoreError, match=r"cannot save .*profiles\.toml: the file system is read"):
        store.save()
    assert not paths.profiles_file.exists()


def _refuse(code):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return refuse


# --------------------------------------------------------------------------- two instances


def test_two_instances_adding_different_profiles_keep_both(paths):
    first, second = fresh(paths), fresh(paths)
    first.put(acme(), Secrets(client_secret=SECRET))
    second.put(local(), Secrets(token=TOKEN))
    assert first.save() == []
    assert second.save() == []

    on_disk = fresh(paths)
    assert [p.name for p in on_disk.profiles()] == ["acme", "my local"]
    assert on_disk.secrets_for("acme").client_secret.get_secret_value() == SECRET
    assert on_disk.secrets_for("my local").token.get_secret_value() == TOKEN
    # the second instance has adopted the first one's profile too
    assert [p.name for p in second.profiles()] == ["acme", "my local"]


def test_a_delete_elsewhere_is_not_undone_by_a_later_save(paths):
    setup = fresh(paths)
    setup.put(acme())
    setup.put(local())
    setup.save()
    first, second = fresh(paths), fresh(paths)
    first.delete("acme")
    first.save()
    second.put(Profile(name="third", tenant="t.limio.com", client_id="c"))
    second.save()
    assert [p.name for p in fresh(paths).profiles()] == ["my local", "third"]


def test_conflicting_edits_are_reported_and_this_window_wins(paths):
    setup = fresh(paths)
    setup.put(acme(), Secrets(client_secret="old"))
    setup.save()
    first, second = fresh(paths), fresh(paths)
    first.put(acme(timeout=10), Secrets(client_secret="from-first"))
    second.put(acme(timeout=20), Secrets(client_secret="from-second"))
    assert first.save() == []
    notes = second.save()
    assert any("profile 'acme' was changed both here and in another" in n for n in notes)
    assert any("secrets of profile 'acme'" in n for n in notes)
    assert not any("from-second" in n or "from-first" in n for n in notes)
    on_disk = fresh(paths)
    assert on_disk.get("acme").timeout == 20
    assert on_disk.secrets_for("acme").client_secret.get_secret_value() == "from-second"


# --------------------------------------------------------------------------- crashes


_SAVE_LOOP = """
import sys
from pathlib import Path
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import Profile, ProfileStore, Secrets
store = ProfileStore(AppPaths.resolve(Path(sys.argv[1])))
store.load()
i = 0
while True:
    i += 1
    for n in range(40):
        store.put(
            Profile(name=f"p{n}", tenant="acme.prod.limio.com", client_id=f"id-{i}-" * 30),
            Secrets(client_secret=f"secret-{i}"),
        )
    store.save()
    if i == 1:
        print("ready", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_repeated_saves_leaves_readable_files(paths):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVE_LOOP, str(paths.config_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()

    tomllib.loads(paths.profiles_file.read_text())
    tomllib.loads(paths.secrets_file.read_text())
    store = fresh(paths)  # no warnings: nothing was torn
    assert len(store.profiles()) == 40
    assert corrupt_copies(paths, "profiles.toml") == []


def test_a_hand_edited_name_with_a_direction_override_is_set_aside(tmp_path):
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.store.profiles import ProfileStore

    paths = AppPaths.resolve(tmp_path)
    paths.ensure()
    paths.profiles_file.write_text(
        'version = 1\n[profiles."\u202eevil"]\ntenant = "a.limio.com"\nauth = "bearer"\n'
        '[profiles.good]\ntenant = "b.limio.com"\nauth = "bearer"\n'
    )
    store = ProfileStore(paths)
    warnings = store.load()
    assert [p.name for p in store.profiles()] == ["good"]
    assert any("right-to-left" in w for w in warnings)
