"""What every model of the contract shares: the checks on text (control and
invisible characters), the enums, the strict request and lenient reply base
classes, the soft validators that read an odd detail as unknown, and how a
validation error is put in words."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic_core import core_schema

BASKET_ID_PATTERN = r"^basket-[A-Za-z0-9\-_]{32,36}$"
BASKET_ID_RE = re.compile(BASKET_ID_PATTERN)

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

# Line breaks, tabs, escape codes and other C0/C1 controls (and the Unicode line
# and paragraph separators): the spec would carry them, but in a basket they
# are always a paste accident, and echoed to a terminal they garble the screen.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidi embeddings, overrides and isolates: they make text read in an order
# other than the one it is stored in ("\u202eevil" shows as "live").
_BIDI_CHARS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
CONTROL_MESSAGE = "must not contain control characters (line breaks, tabs, escape codes)"
INVISIBLE_MESSAGE = "must not contain invisible formatting characters"
_CONTROL_NAMES = {
    "\n": "a line break",
    "\r": "a line break",
    "\t": "a tab",
    "\x1b": "an escape",
    "\x00": "a NUL",
    "\x07": "a bell",
}


def _found(char: str, index: int) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    what = f"{code} {name}" if name else code
    if char in _CONTROL_NAMES:
        what = f"{_CONTROL_NAMES[char]} ({code})"
    return f"{what} at character {index + 1}"


def text_problem(value: str, *, identifier: bool = False) -> str | None:
    """Why ``value`` cannot go into a request as typed, or None.

    Every string refuses control characters and bidi overrides. An
    ``identifier`` (an external id, an offer hash, a tracking id) refuses
    every invisible format character too (Unicode category Cf: zero-width
    spaces and joiners, byte-order marks, direction marks), because two ids
    that look the same on screen must be the same id. Free text such as
    ``source`` keeps them: emoji sequences and right-to-left text need them.
    """
    control = _CONTROL_CHARS.search(value)
    if control:
        return f"{CONTROL_MESSAGE}: found {_found(control.group(), control.start())}"
    if value.isascii():
        return None  # bidi and format characters all lie outside ASCII
    for index, char in enumerate(value):
        if char < "\x80":
            continue
        if _BIDI_CHARS.match(char) or (identifier and unicodedata.category(char) == "Cf"):
            return f"{INVISIBLE_MESSAGE}: found {_found(char, index)}"
    return None


# Spaces (ordinary, no-break, ideographic …) but none of the controls that
# str.isspace() also counts: those are refused, not trimmed away unseen.
_SPACES = "".join(
    char for char in map(chr, range(0x3001)) if char.isspace() and not _CONTROL_CHARS.match(char)
)


def trim_spaces(text: str) -> str:
    """``text`` without surrounding spaces; a tab or line break stays, for the
    checks to point out."""
    return text.strip(_SPACES)


def _printable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _identifier(value: str) -> str:
    problem = text_problem(value, identifier=True)
    if problem:
        raise ValueError(problem)
    return value


Printable = Annotated[NonEmptyStr, AfterValidator(_printable)]
Identifier = Annotated[NonEmptyStr, AfterValidator(_identifier)]

BasketId = Annotated[str, StringConstraints(pattern=BASKET_ID_PATTERN)]
MAX_QUANTITY = 1_000_000
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


class ItemType(StrEnum):
    OFFER = "offer"
    ADD_ON = "add_on"


class OrderType(StrEnum):
    NEW = "new"
    RENEW = "renew"


class ActionType(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE_QUANTITY = "change_quantity"


# defer_build: a model's validator is built on its first use rather than at
# import, so starting the app does not pay for models it has not needed yet.
class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, defer_build=True)

    def to_json(self) -> dict[str, Any]:
        """The body as it goes over the wire: no nulls for fields left unset."""
        return self.model_dump(mode="json", exclude_none=True)


# Which fields a reply's model was given, one set shared by every model given
# the same ones: pydantic keeps a set per model, and for a 500-item order those
# sets (~340 bytes each, four models an item) and the empty dicts of unknown
# fields were half of its memory (1.63 → 0.85 MiB, tracemalloc), two orders of
# which are alive as a reply replaces a basket. Capped, so that a server
# sending odd fields on every line cannot grow it without end.
_SHARED_FIELD_SETS: dict[frozenset[str], set[str]] = {}
_MAX_SHARED_FIELD_SETS = 512
_set_slot = object.__setattr__


class ResponseModel(BaseModel):
    # frozen: nothing changes a reply once read, and a shared field set must
    # never be added to (pydantic adds a field assigned to its model's set).
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True,
                              frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        if not self.__pydantic_extra__:  # none unknown: pydantic's own "none" for it
            _set_slot(self, "__pydantic_extra__", None)
        fields = self.__pydantic_fields_set__
        shared = _SHARED_FIELD_SETS.get(key := frozenset(fields))
        if shared is None:
            if len(_SHARED_FIELD_SETS) >= _MAX_SHARED_FIELD_SETS:
                return
            shared = _SHARED_FIELD_SETS[key] = fields
        _set_slot(self, "__pydantic_fields_set__", shared)


# --------------------------------------------------------------------------- lenient details

class _NoneIfMalformed:
    """A detail the spec does not promise (a price, a name) that arrives in an
    odd shape reads as unknown (None) instead of failing the whole reply.

    Said in pydantic-core's own terms (a default on error), not as a Python
    wrap validator: a 500-item order has some 20,000 such details, and a call
    into Python for each was about half of its validation time."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.with_default_schema(handler(source), default=None,
                                               on_error="default")


class _EmptyIfMalformed:
    """A list the spec does not promise (an item's add-ons, its products)
    that arrives as null or in an odd shape reads as empty. In pydantic-core's
    terms too: two Python calls an item were ~1,000 for a 500-item reply."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.with_default_schema(handler(source), default_factory=list,
                                               on_error="default")


Soft = _NoneIfMalformed()
SoftList = _EmptyIfMalformed()
Amount = Annotated[str | int | float | None, Soft]
Text = Annotated[str | None, Soft]
Number = Annotated[int | float | None, Soft]


def to_decimal(value: Amount) -> Decimal | None:
    """Amounts come as "17.50" or 17.5; anything else reads as unknown."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# --------------------------------------------------------------------------- messages


def describe_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """Turn a pydantic error into one plain line per field: ``where: what``."""
    lines = []
    for detail in error.errors(include_url=False):
        where = format_location(detail.get("loc", ()), prefix)
        message = detail.get("msg", "invalid")
        message = message.removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines


def format_location(loc: tuple[Any, ...] | list[Any], prefix: str = "") -> str:
    """("order", "orderItems", 0, "offer") -> "order.orderItems[0].offer"."""
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "json-or-python")):
            continue  # pydantic's internal validator names mean nothing to a user
        else:
            text += f".{part}" if text else str(part)
    return text
