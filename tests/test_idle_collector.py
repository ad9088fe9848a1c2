"""Full garbage collections wait for a quiet moment (tui_app/idle_collector.py)."""

from __future__ import annotations

import gc
import weakref

import pytest

from tui_app import idle_collector
from tui_app.idle_collector import IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def collector_parts():
    gc.collect()  # no full sweep is due when a test starts
    clock, sweeps, busy = Clock(), [], [False]
    collector = IdleCollector(busy=lambda: busy[0], clock=clock,
                              collect=lambda generation: sweeps.append(generation))
    thresholds = gc.get_threshold()
    yield collector, clock, sweeps, busy
    collector.stop()
    assert gc.get_threshold() == thresholds
    assert gc.isenabled()


PYTHON_THRESHOLDS = gc.get_threshold()


def make_sweep_due() -> None:
    """As many middle-generation collections as Python's own rule asks (its
    third threshold, given back by the collector when it stops)."""
    for _ in range(PYTHON_THRESHOLDS[2]):
        gc.collect(1)  # each one counts towards the next full sweep, as Python's own do


def test_it_takes_the_full_sweeps_from_python_and_gives_them_back(collector_parts):
    collector, *_ = collector_parts
    young, middle, full = gc.get_threshold()
    collector.start()
    assert gc.get_threshold()[:2] == (young, middle)  # young generations as before
    assert gc.get_threshold()[2] > 10**9  # Python starts no full sweep itself
    collector.stop()
    assert gc.get_threshold() == (young, middle, full)


def test_a_due_sweep_waits_for_a_quiet_moment(collector_parts):
    collector, clock, sweeps, busy = collector_parts
    collector.start()
    clock.now += idle_collector.IDLE_FOR
    assert not collector.tick()  # quiet, but nothing due yet
    make_sweep_due()
    collector.activity()
    assert not collector.tick() and sweeps == []  # a key was just pressed
    clock.now += idle_collector.IDLE_FOR
    busy[0] = True
    assert not collector.tick() and sweeps == []  # a call is under way
    busy[0] = False
    assert collector.tick() and sweeps == [2]  # quiet: the full sweep runs now
    assert collector.sweeps == 1


def test_a_due_sweep_runs_anyway_once_it_has_waited_too_long(collector_parts):
    collector, clock, sweeps, busy = collector_parts
    collector.start()
    make_sweep_due()
    busy[0] = True
    clock.now += idle_collector.MAX_WAIT - 1
    collector.activity()
    assert not collector.tick()
    clock.now += 1
    assert collector.tick() and sweeps == [2]  # memory comes first after MAX_WAIT


def test_nothing_happens_before_it_is_started(collector_parts):
    collector, clock, sweeps, _busy = collector_parts
    make_sweep_due()
    clock.now += 3600
    assert not collector.tick() and sweeps == []


def test_young_collections_wait_while_the_app_answers(collector_parts):
    collector, clock, _sweeps, busy = collector_parts
    collector.activity()
    assert gc.isenabled()  # not started: Python's as it was
    collector.start()
    collector.activity()  # a key
    assert collector.holding and not gc.isenabled()
    busy[0] = True  # it started a call
    clock.now += idle_collector.ANSWERED_QUIET
    collector.answered()
    assert collector.holding  # the call is still under way
    busy[0] = False
    collector.activity()  # the call ended: its answer is being drawn
    collector.answered()
    assert collector.holding  # not a moment of quiet yet
    clock.now += idle_collector.ANSWERED_QUIET + 0.001
    collector.answered()
    assert not collector.holding and gc.isenabled()  # what waited is collected now


def test_young_collections_run_once_quiet_or_after_waiting_too_long(collector_parts):
    collector, clock, _sweeps, busy = collector_parts
    collector.start()
    collector.activity()
    clock.now += idle_collector.HOLD_FOR + 0.001
    collector.tick()
    assert not collector.holding and gc.isenabled()  # quiet, even with no answer noted

    busy[0] = True  # a long call: never quiet
    collector.activity()
    clock.now += idle_collector.HOLD_MAX - 0.01
    collector.tick()
    assert collector.holding
    clock.now += 0.02
    collector.tick()
    assert not collector.holding and gc.isenabled()  # memory first after HOLD_MAX
    collector.activity()
    assert collector.holding  # and the next key holds again


def test_stop_gives_young_collections_back(collector_parts):
    collector, *_ = collector_parts
    collector.start()
    collector.activity()
    collector.stop()
    assert not collector.holding and gc.isenabled()


def test_a_collector_python_had_switched_off_stays_off():
    gc.disable()
    try:
        collector = IdleCollector(busy=lambda: False)
        collector.start()
        collector.activity()
        collector.stop()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def collector_on():
    """Python's collector as a test found it, given back whatever the test did."""
    thresholds = gc.get_threshold()
    gc.collect()  # every generation empty: the counts start from nothing
    yield
    idle_collector._start_up_thresholds = None
    gc.set_threshold(*thresholds)
    gc.enable()


class Node:
    """Something only the collector can free once it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_start_up_frees_its_young_cycles_as_it_goes(collector_on):
    thresholds = gc.get_threshold()
    idle_collector.young_collections_only_for_start_up()
    assert gc.isenabled()
    assert gc.get_threshold() == (
        idle_collector.START_UP_YOUNG_THRESHOLD, idle_collector.NEVER, idle_collector.NEVER)
    left = weakref.ref(Node())
    assert left() is not None  # no collection yet
    kept = [[] for _ in range(idle_collector.START_UP_YOUNG_THRESHOLD + 1)]
    assert left() is None  # a young collection came by itself and freed it
    idle_collector.resume_after_start_up()
    assert gc.get_threshold() == thresholds
    del kept


def test_what_start_up_kept_a_while_is_freed_once_it_has_started(collector_on):
    thresholds = gc.get_threshold()
    idle_collector.young_collections_only_for_start_up()
    node = Node()
    gc.collect(0)  # it outlives a young collection: now in the middle generation
    left = weakref.ref(node)
    del node
    kept = [[] for _ in range(3 * idle_collector.START_UP_YOUNG_THRESHOLD)]
    assert left() is not None  # young collections do not walk it
    idle_collector.resume_after_start_up()
    assert left() is None and gc.get_threshold() == thresholds
    gc.set_threshold(1234, 5, 6)  # someone else's, later: a second resume leaves it alone
    idle_collector.resume_after_start_up()
    assert gc.get_threshold() == (1234, 5, 6)
    del kept


def test_a_collector_someone_else_turned_off_is_not_turned_on(collector_on):
    gc.disable()
    idle_collector.young_collections_only_for_start_up()
    idle_collector.resume_after_start_up()
    assert not gc.isenabled()
