"""A cached order reads back as exactly what json.loads would give, with the
text it repeats (currencies, offer names) held once; bad files are still
dropped (see test_store_hostile_files for every hostile kind)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_app.services.store.order_cache import OrderCache

KEY = ("sandbox:embedded", "basket-1")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=4), st.booleans())
def test_an_order_reads_back_as_json_loads_reads_it(tmp_path_factory, order, ascii_only):
    cache = OrderCache(tmp_path_factory.mktemp("orders"))
    text = json.dumps(order, ensure_ascii=ascii_only)
    cache.put(KEY, text.encode())
    assert repr(cache.get(KEY)) == repr(json.loads(text))


@pytest.mark.parametrize("text", [
    '{"a": NaN, "b": Infinity, "c": -Infinity}',
    '{"big": 123456789012345678901234567890, "tiny": 1e-400, "huge": 1e400}',
    '{"a": 1, "a": 2}',
    '{"s": "\\ud800 alone", "pair": "\\ud83d\\ude00", "x": "\\u0000"}',
])
def test_odd_but_valid_json_reads_as_json_loads_reads_it(tmp_path, text):
    cache = OrderCache(tmp_path)
    cache.put(KEY, text.encode())
    assert repr(cache.get(KEY)) == repr(json.loads(text))


def test_text_an_order_repeats_is_held_once(tmp_path):
    # Why the cache parses with pydantic-core: a 500-item order repeats its
    # currency, offer names and paths on every line.
    items = [{"id": f"item-{n}", "price": {"currency": "GBP", "summary": "£9.99 a month"}}
             for n in range(3)]
    cache = OrderCache(tmp_path)
    cache.put(KEY, json.dumps({"orderItems": items}).encode())
    read = cache.get(KEY)["orderItems"]
    assert read[0]["price"]["currency"] is read[2]["price"]["currency"]
    assert read[0]["price"]["summary"] is read[1]["price"]["summary"]


def test_a_file_that_is_not_json_is_still_dropped_with_where_it_went_wrong(tmp_path, caplog):
    cache = OrderCache(tmp_path)
    cache.put(KEY, b'{"orderItems": [1, 2,]}')
    assert cache.get(KEY) is None
    assert "line 1, column" in caplog.text
    assert not cache.path_for(KEY).exists()
