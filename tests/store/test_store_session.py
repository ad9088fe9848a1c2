"""Session state on disk: resume where you were, survive bad files and a
second window."""

import errno
import json
import os
import stat
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tui_app.services.store import files
from tui_app.services.store.files import StoreError
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.session import MAX_RECENT, BasketRecord, SessionStore

SANDBOX = "sandbox:embedded"
TENANT = "https://acme.prod.limio.com/api"


@pytest.fixture
def paths(tmp_path):
    return AppPaths.resolve(tmp_path / "cfg")


def fresh(paths) -> SessionStore:
    store = SessionStore(paths)
    assert store.load() == []
    return store


def basket(n: int = 1, endpoint: str = SANDBOX, **changes) -> BasketRecord:
    fields = {"profile": "sandbox", "endpoint": endpoint, "basket_id": f"basket-{n:032d}"}
    return BasketRecord(**(fields | changes))


def write(paths, text: str) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.session_file.write_text(text)


def corrupt_copies(paths):
    return sorted(paths.config_dir.glob("session.json.corrupt-*"))


# --------------------------------------------------------------------------- round trip


def test_a_basket_with_its_cookies_survives_a_restart(paths):
    store = fresh(paths)
    record = basket(
        external_id="ext-1",
        country="GB",
        cookies={"landing": "abc=def; x", "basketId": "basket-1"},
        items=2,
        label="demo for partner",
    )
    stored = store.remember(record)
    store.set_active_profile("sandbox")
    assert store.save() == []

    again = fresh(paths)
    assert again.state.current == stored
    assert again.state.current.cookies == {"landing": "abc=def; x", "basketId": "basket-1"}
    assert again.state.current.items == 2
    assert again.state.current.updated_at.tzinfo is not None
    assert again.state.recent == [stored]
    assert again.state.active_profile == "sandbox"
    # landing-state cookies are private
    assert stat.S_IMODE(paths.session_file.stat().st_mode) == 0o600
    assert json.loads(paths.session_file.read_text())["version"] == 1


def test_times_are_kept_in_utc():
    naive = basket(updated_at=datetime(2024, 1, 1, 12, 0))
    assert naive.updated_at == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    paris = basket(updated_at=datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))))
    assert paris.updated_at.utcoffset() == timedelta(0)
    assert paris.updated_at.hour == 12


# --------------------------------------------------------------------------- recent list


def test_remember_moves_a_basket_to_the_front_without_duplicates(paths):
    store = fresh(paths)
    store.remember(basket(1))
    store.remember(basket(2))
    store.remember(basket(1, label="again"))
    assert [r.basket_id for r in store.state.recent] == [basket(1).basket_id, basket(2).basket_id]
    assert store.state.recent[0].label == "again"
    assert store.state.current.label == "again"


def test_the_same_basket_id_on_another_server_is_another_basket(paths):
    store = fresh(paths)
    store.remember(basket(1, endpoint=SANDBOX))
    store.remember(basket(1, endpoint=TENANT, profile="acme"))
    assert len(store.state.recent) == 2
    assert [r.endpoint for r in store.recent_for(TENANT)] == [TENANT]
    assert [r.endpoint for r in store.recent_for(SANDBOX)] == [SANDBOX]


def test_recent_is_capped(paths):
    store = fresh(paths)
    for n in range(MAX_RECENT + 5):
        store.remember(basket(n))
    assert len(store.state.recent) == MAX_RECENT
    assert store.state.recent[0].basket_id == basket(MAX_RECENT + 4).basket_id


def test_remember_without_making_current(paths):
    store = fresh(paths)
    store.remember(basket(1))
    store.remember(basket(2), make_current=False)
    assert store.state.current.basket_id == basket(1).basket_id
    assert store.state.recent[0].basket_id == basket(2).basket_id


def test_forget_and_clear_current(paths):
    store = fresh(paths)
    store.remember(basket(1))
    store.remember(basket(2))
    store.forget(basket(2).key)
    assert store.state.current is None
    assert [r.key for r in store.state.recent] == [basket(1).key]
    store.remember(basket(1))
    store.clear_current()
    assert store.state.current is None and len(store.state.recent) == 1
    store.save()
    assert fresh(paths).state.current is None


# --------------------------------------------------------------------------- bad files


def test_corrupt_json_is_moved_aside_and_the_app_starts_afresh(paths):
    write(paths, '{"version": 1, "recent": [\n  {"profile": "x",\n')
    store = SessionStore(paths)
    [warning] = store.load()
    assert warning.startswith("session.json could not be read (line 3")
    assert "starting afresh" in warning
    [aside] = corrupt_copies(paths)
    assert str(aside) in warning
    assert store.state.recent == [] and store.state.current is None

    store.remember(basket(1))
    assert store.save() == []
    assert fresh(paths).state.current.basket_id == basket(1).basket_id


@pytest.mark.parametrize("text", ["[]", '{"version": "x"}', '{"version": true}'])
def test_wrong_shapes_are_set_aside(paths, text):
    write(paths, text)
    [warning] = SessionStore(paths).load()
    assert "could not be read" in warning
    assert len(corrupt_copies(paths)) == 1


def test_a_newer_session_file_is_copied_aside(paths):
    write(paths, json.dumps({"version": 7, "whatever": []}))
    store = SessionStore(paths)
    [warning] = store.load()
    assert "newer basket-builder (file version 7)" in warning
    assert store.state.recent == []
    [copy] = corrupt_copies(paths)
    assert json.loads(copy.read_text())["version"] == 7


def test_a_bad_recent_entry_is_dropped_and_the_rest_kept(paths):
    good = basket(1).model_dump(mode="json")
    bad = {"profile": "x", "endpoint": SANDBOX, "basket_id": "b", "updated_at": "yesterday"}
    write(paths, json.dumps({"version": 1, "active_profile": "p", "recent": [good, bad]}))
    store = SessionStore(paths)
    warnings = store.load()
    assert "some entries could not be used" in warnings[0]
    assert any(w.startswith("recent[1].updated_at:") for w in warnings)
    assert [r.key for r in store.state.recent] == [basket(1).key]
    assert store.state.active_profile == "p"
    assert len(corrupt_copies(paths)) == 1


# --------------------------------------------------------------------------- the disk says no


def test_a_full_disk_raises_and_keeps_the_previous_session(paths, monkeypatch):
    store = fresh(paths)
    store.remember(basket(1))
    store.save()
    before = paths.session_file.read_bytes()
    store.remember(basket(2))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(files.os, "write", full)
        with pytest.raises(StoreError, match=r"session\.json: the disk is full"):
            store.save()
    assert paths.session_file.read_bytes() == before
    store.save()
    assert len(fresh(paths).state.recent) == 2


# --------------------------------------------------------------------------- two instances


def test_two_instances_remembering_different_baskets_keep_both(paths):
    first, second = fresh(paths), fresh(paths)
    first.remember(basket(1))
    second.remember(basket(2, endpoint=TENANT, profile="acme"))
    assert first.save() == []
    second.save()
    keys = {r.key for r in fresh(paths).state.recent}
    assert keys == {basket(1).key, basket(2, endpoint=TENANT).key}


def test_a_basket_forgotten_elsewhere_stays_forgotten(paths):
    setup = fresh(paths)
    setup.remember(basket(1))
    setup.remember(basket(2))
    setup.save()
    first, second = fresh(paths), fresh(paths)
    first.forget(basket(1).key)
    first.save()
    second.remember(basket(3), make_current=False)
    second.save()
    keys = [r.key for r in fresh(paths).state.recent]
    assert keys == [basket(3).key, basket(2).key]


@pytest.mark.parametrize("later_saves_first", [True, False])
def test_the_later_update_of_the_same_basket_wins(paths, later_saves_first):
    setup = fresh(paths)
    setup.remember(basket(1, label="start"))
    setup.save()
    first, second = fresh(paths), fresh(paths)
    first.remember(basket(1, label="older"), make_current=False)
    second.remember(basket(1, label="newer"), make_current=False)  # stamped later
    order = (second, first) if later_saves_first else (first, second)
    for store in order:
        store.save()
    [entry] = fresh(paths).state.recent
    assert entry.label == "newer"


def test_a_conflicting_active_profile_is_reported(paths):
    first, second = fresh(paths), fresh(paths)
    first.set_active_profile("acme")
    second.set_active_profile("sandbox")
    first.save()
    notes = second.save()
    assert notes == [
        "the active profile was also changed in another basket-builder; kept the one from here"
    ]
    assert fresh(paths).state.active_profile == "sandbox"
