"""Textual's lines make their caches when first used (tui_app/strip_caches.py)."""

from __future__ import annotations

import tracemalloc

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_app.strip_caches import (
    CACHE_SIZES,
    OTHER_SLOTS,
    TEXTUAL_STRIP_INIT,
    make_strip_caches_lazy,
    patchable,
)

SEGMENTS = [Segment("basket-"), Segment("0042", Style(bold=True)), Segment(" 3 × Gold  ")]


@pytest.fixture(autouse=True)
def lazy():
    assert make_strip_caches_lazy()


def textual_strip(segments=SEGMENTS) -> Strip:
    strip = Strip.__new__(Strip)
    TEXTUAL_STRIP_INIT(strip, segments)
    return strip


def made_caches(strip: Strip) -> set[str]:
    made = set()
    for name in CACHE_SIZES:
        try:
            Strip.__dict__[name].slot.__get__(strip, Strip)  # the slot itself, not made on read
        except AttributeError:
            continue
        made.add(name)
    return made


def test_the_patch_fits_the_pinned_textual():
    # A Textual whose Strip has other slots is left alone: this fails, so
    # whoever upgrades Textual looks at strip_caches again.
    assert patchable()
    assert make_strip_caches_lazy()  # a second call changes nothing


def test_a_new_line_makes_a_cache_only_when_it_uses_one():
    strip = Strip(SEGMENTS)
    assert made_caches(strip) == set()
    strip.crop(2, 9)
    assert made_caches(strip) == {"_crop_cache"}
    strip.divide([4, 8])
    assert made_caches(strip) == {"_crop_cache", "_divide_cache"}


def test_a_line_holds_what_textual_gives_it_and_its_caches_are_textual_s_sizes():
    ours, theirs = Strip(SEGMENTS, 21), textual_strip()
    theirs._cell_length = 21
    for name in OTHER_SLOTS:
        assert getattr(ours, name) == getattr(theirs, name), name
    for name, size in CACHE_SIZES.items():
        assert getattr(theirs, name)._maxsize == size, name
        assert getattr(ours, name)._maxsize == size, name


def test_lines_still_cache_and_draw_as_before():
    ours, theirs = Strip(SEGMENTS), textual_strip()
    assert ours.crop(2, 9) is ours.crop(2, 9)
    assert ours.divide([4, 8]) is ours.divide([4, 8])
    red = Style(color="red")
    assert ours.apply_style(red) is ours.apply_style(red)
    assert ours.crop(2, 9).text == theirs.crop(2, 9).text == "sket-00"
    assert [s.text for s in ours.divide([4, 8])] == [s.text for s in theirs.divide([4, 8])]
    assert list(ours.apply_style(red)) == list(theirs.apply_style(red))
    console = Console(color_system="truecolor")
    assert ours.render(console) == theirs.render(console)


def test_a_line_without_caches_is_a_fraction_of_the_memory():
    def traced(make) -> int:
        tracemalloc.start()
        lines = [make([Segment(f"line {n}")]) for n in range(1000)]
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del lines
        return size

    ours, theirs = traced(Strip), traced(textual_strip)
    assert theirs - ours > 700 * 1000  # seven empty caches: ~0.9 KiB a line
