"""Saving off the UI thread: every change reaches the disk, bursts are written
together, failures are reported, and a flush waits for what is pending."""

from __future__ import annotations

import threading
import time

from tui_app.services.store.autosave import BackgroundSaver
from tui_app.services.store.files import StoreError


class Disk:
    """A save function that records what it wrote and can be made slow or refuse."""

    def __init__(self) -> None:
        self.value = 0
        self.written: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.refuse: str | None = None

    def save(self) -> list[str]:
        self.gate.wait(5)
        if self.refuse:
            raise StoreError(self.refuse)
        self.written.append(self.value)
        return []


def test_a_flush_waits_until_the_latest_change_is_written():
    disk, reports = Disk(), []
    saver = BackgroundSaver(disk.save, reports.append, delay=5.0)
    disk.value = 1
    saver.request()
    assert saver.flush(timeout=5)  # cuts the 5 s delay short
    assert disk.written[-1] == 1 and not saver.pending
    saver.close()
    assert reports == []


def test_changes_made_during_a_slow_save_are_written_by_the_next_one():
    disk = Disk()
    saver = BackgroundSaver(disk.save, lambda notes: None, delay=0)
    disk.gate.clear()  # the first save hangs on the "disk"
    disk.value = 1
    saver.request()
    time.sleep(0.05)
    for value in range(2, 50):  # a burst while it is stuck
        disk.value = value
        saver.request()
    disk.gate.set()
    assert saver.flush(timeout=5)
    assert disk.written[-1] == 49
    assert len(disk.written) <= 3  # coalesced, not one write per change
    saver.close()


def test_a_refusing_disk_is_reported_and_the_saver_carries_on():
    disk, reports = Disk(), []
    saver = BackgroundSaver(disk.save, reports.append, delay=0)
    disk.refuse = "cannot save session.json: the disk is full"
    saver.request()
    saver.flush(timeout=5)
    assert reports == [["cannot save session.json: the disk is full"]]
    disk.refuse = None
    disk.value = 7
    saver.request()
    saver.flush(timeout=5)
    assert disk.written == [7]
    assert saver.close(timeout=5)


def test_a_burst_of_changes_is_written_once_after_the_delay():
    disk = Disk()
    saver = BackgroundSaver(disk.save, lambda notes: None, delay=0.3)
    for value in range(1, 20):
        disk.value = value
        saver.request()
        time.sleep(0.005)
    time.sleep(0.6)
    assert disk.written == [19]
    saver.close()
