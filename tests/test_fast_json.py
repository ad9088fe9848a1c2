"""Replies (and cached orders) are parsed by pydantic-core's parser, to
exactly what json.loads gives, and refused exactly where json.loads refuses."""

from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_app.services.api.fast_json import loads as parse_reply

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(json_values, st.booleans())
def test_any_json_parses_to_what_json_loads_gives(value, ascii_only):
    content = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert repr(parse_reply(content)) == repr(json.loads(content))


@pytest.mark.parametrize("content", [
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b'{"big": 123456789012345678901234567890, "tiny": 1e-400, "huge": 1e400}',
    b'{"a": 1, "a": 2}',  # the last one wins
    b'{"s": "\\ud800 alone", "pair": "\\ud83d\\ude00", "x": "\\u0000"}',
    codecs.BOM_UTF8 + b'{"bom": true}',
    '{"utf16": "£"}'.encode("utf-16"),
    b"[" * 3000 + b"]" * 3000,  # deeper than pydantic-core goes
    b'  {"spaces": [1, 2.50, -0.0]}  ',
])
def test_odd_but_valid_json_parses_as_json_loads_parses_it(content):
    try:
        expected = repr(json.loads(content))
    except RecursionError:
        with pytest.raises(RecursionError):
            parse_reply(content)
        return
    assert repr(parse_reply(content)) == expected


@pytest.mark.parametrize("content", [
    b"", b"not json", b'{"a": 1', b'{"a": 1} trailing', b"\xff\xfe\x00", b"{'a': 1}",
])
def test_what_json_loads_refuses_is_refused_with_its_error(content):
    with pytest.raises(ValueError) as ours:
        parse_reply(content)
    with pytest.raises(ValueError) as theirs:
        json.loads(content)
    assert str(ours.value) == str(theirs.value)
