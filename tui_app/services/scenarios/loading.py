"""Loading a scenario file: TOML read with every line located, each step checked
(keys, bodies against the request models, references to earlier steps), and
every problem reported as ``path:line: step N (action name): where: reason``
before anything is sent. The language itself is in ``format``.

Limits (each refused before any step is checked): a file of at most
``MAX_FILE_BYTES`` (16 MiB) and at most ``MAX_STEPS`` (100,000) steps
(``path: reason``); values nested at most ``MAX_NESTING`` (32) levels deep
(``path:line: ...`` where the parser got that far, else ``path: reason``).
The first ``MAX_PROBLEMS`` (100) problems are listed, then how many more
there are.

Loading takes time linear in the size of the file: every look-up across steps
(names, the latest initiate, lines of keys) is an index built once, and the
"did you mean" suggestions compare a bounded number of names in all.
"""

from __future__ import annotations

import bisect
import difflib
import gc
import itertools
import marshal
import os
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli
from pydantic import (
    BaseModel,
    ValidationError,
)

from tui_app.services.api.models import InitiateCheckout, UpdateCheckout, format_location
from tui_app.services.scenarios.checks import CaptureSource, Check, parse_duration
from tui_app.services.scenarios.format import (
    ACTIONS,
    FORMAT_VERSION,
    LATEST_VERSION,
    REFERENCE_FORMS,
    STEP_NAME_PATTERN,
    V2_STEP_KEYS,
    VARIABLE_PATTERN,
    VERSIONS,
    Expectation,
    ItemExpectation,
    Loc,
    Reference,
    Scenario,
    Step,
    is_success,
    map_strings,
    references_in,
    substitute,
    walk_strings,
)
from tui_app.services.scenarios.jsonpath import compile_path
from tui_app.services.store.files import long_dotted_key, nested_deeper_than

try:  # compiled (Rust): reads a big file in about half tomli's time; optional
    import rtoml
except ImportError:  # pragma: no cover - a platform without its wheel
    rtoml = None

# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None  # None: the file as a whole (too big, too deep to read)
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be run; every problem has a file and, where
    there is one, a line (problems about the whole file come last)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))


MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_STEPS = 100_000
# A body nests about 6 levels (order, orderItems, an item, its offer); the
# limit keeps every walk over a body (checks, references, replay) far from
# Python's recursion limit.
MAX_NESTING = 32
MAX_PROBLEMS = 100
# "Did you mean" compares an unknown step name with the nearest earlier names
# (at most _SUGGEST_POOL of them), and with at most _SUGGEST_BUDGET names in
# all per file, so suggestions cost a constant however many steps there are.
_SUGGEST_POOL = 1_000
_SUGGEST_BUDGET = 10_000


# --------------------------------------------------------------------------- locating lines

_STEP_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]\s*(#.*)?$")


class _Lines:
    """Finds the line a (step, key path) is on. tomllib keeps no positions, so
    this reads the text: the N-th ``[[steps]]`` header, then each key of the
    path in turn below it. A key it cannot find leaves the best line so far.

    Each key is looked for once in the whole text (a regular expression over
    the lines joined, then a sorted list of the lines it is on), so a look-up
    is a binary search, however many steps or problems there are.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [
            i for i, line in enumerate(self.lines) if "steps" in line and _STEP_HEADER.match(line)
        ]
        # Built when a problem is first located (a good file never needs them):
        # the lines joined, and the same without comments, each with where
        # its lines start.
        self._raw: tuple[str, list[int]] | None = None
        self._code: tuple[str, list[int]] | None = None
        self._keys: dict[str, list[int]] = {}
        self._tables: dict[str, list[int]] = {}

    @staticmethod
    def _join(lines: list[str]) -> tuple[str, list[int]]:
        return "\n".join(lines), [0, *itertools.accumulate(len(line) + 1 for line in lines)]

    @staticmethod
    def _lines_matching(pattern: re.Pattern[str], joined: tuple[str, list[int]]) -> list[int]:
        text, starts = joined
        found: list[int] = []
        for match in pattern.finditer(text):
            line = bisect.bisect_right(starts, match.start()) - 1
            if not found or found[-1] != line:
                found.append(line)
        return found

    def _range(self, step: int | None) -> tuple[int, int]:
        if step is None:
            return 0, self.headers[0] if self.headers else len(self.lines)
        if step >= len(self.headers):
            return (self.headers[-1] if self.headers else 0), len(self.lines)
        end = self.headers[step + 1] if step + 1 < len(self.headers) else len(self.lines)
        return self.headers[step], end

    @staticmethod
    def _first(lines: list[int], start: int, end: int, skip: int = 0) -> int | None:
        """The ``skip``-th of ``lines`` (sorted) within [start, end), if any."""
        at = bisect.bisect_left(lines, start) + skip
        return lines[at] if at < len(lines) and lines[at] < end else None

    def find(self, step: int | None, path: Loc = ()) -> int:
        start, end = self._range(step)
        position = start
        previous_key: str | None = None
        for part in path:
            if isinstance(part, int):
                position = self._element(position, end, previous_key, part)
                continue
            found = self._first(self._key_lines(part), position, end)
            if found is None:
                break
            position, previous_key = found, part
        return position + 1

    def _key_lines(self, key: str) -> list[int]:
        """The lines where ``key`` is written as a key (comments left out)."""
        if key not in self._keys:
            if self._code is None:
                self._code = self._join(
                    [self._strip_comment(line) if "#" in line else line for line in self.lines]
                )
            # Whitespace but a newline: a match stays within its line.
            pattern = re.compile(
                rf"(?:^|[^\S\n]|[{{,.\[])\"?{re.escape(key)}\"?[^\S\n]*(?:=|\]|\.)", re.M
            )
            self._keys[key] = [] if "\n" in key else self._lines_matching(pattern, self._code)
        return self._keys[key]

    def _table_lines(self, key: str) -> list[int]:
        """The lines of ``[[... key]]`` headers."""
        if key not in self._tables:
            if self._raw is None:
                self._raw = self._join(self.lines)
            pattern = re.compile(
                rf"^[^\S\n]*\[\[[^\]\n]*\b{re.escape(key)}[^\S\n]*\]\]", re.M
            )
            self._tables[key] = [] if "\n" in key else self._lines_matching(pattern, self._raw)
        return self._tables[key]

    @staticmethod
    def _strip_comment(line: str) -> str:
        """The line without its comment (a # inside a string is not one)."""
        quote: str | None = None
        escaped = False
        for position, char in enumerate(line):
            if quote is not None:
                if escaped:
                    escaped = False
                elif char == "\\" and quote == '"':
                    escaped = True
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "#":
                return line[:position]
        return line

    def _element(self, position: int, end: int, key: str | None, index: int) -> int:
        if key is None:
            return position
        table = self._first(self._table_lines(key), position, end, skip=index)
        if table is not None:
            return table
        # An inline array written one element per line (as the recorder writes it).
        if self.lines[position].rstrip().endswith("[") and position + 1 + index < end:
            return position + 1 + index
        return position


# --------------------------------------------------------------------------- parsing


_TOML_POSITION = re.compile(r"(?s)(.*?) \(at line (\d+), column (\d+)\)")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading makes hundreds of thousands of objects and no reference cycles;
    the cycle collector would walk all of them again and again as they pile
    up (about half the time of a big file). It is back on, as it was, after.

    What survives the load lives as long as the scenario: the objects made
    meanwhile go to the oldest generation (freeze, then unfreeze, moves them
    there without a walk), where the next full collection sees them, as it
    would after the young ones. Otherwise the first allocation after
    ``gc.enable()`` walks all of them at once (0.3 s for 60,000 steps) only
    to find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def load_scenario(path: str | Path, *, variables: Collection[str] | None = None) -> Scenario:
    """Read and check a scenario file; raises ScenarioError (or OSError)."""
    name = str(path)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([_too_big(name, size)])
        data = handle.read(MAX_FILE_BYTES + 1)  # not a plain file: its size says nothing
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([_too_big(name)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(name, 1, "not UTF-8 text")]) from None
    # As reading in text mode would: \r\n and \r end lines too.
    return parse_scenario(text.replace("\r\n", "\n").replace("\r", "\n"), name,
                          variables=variables)


def parse_scenario(text: str, path: str = "<scenario>", *,
                   variables: Collection[str] | None = None) -> Scenario:
    """Check a scenario's text and return its model; ScenarioError lists every
    problem found, each with its line. ``variables``: the names given from
    outside (``--var``, ``--vars``, ``--data``, ``LIMIO_*``); when given, a
    ``${name}`` that nothing defines is a problem of the file (when None, it is
    one only at run time)."""
    if len(text) > MAX_FILE_BYTES:  # characters: at least as many bytes
        raise ScenarioError([_too_big(path)])
    with _gc_paused():
        return _parse(text, path, variables)


def _parse(text: str, path: str, variables: Collection[str] | None = None) -> Scenario:
    # TOML parsers take time quadratic in the parts of a dotted key: refuse a key
    # that nests too deep before it can stall the parser.
    at = long_dotted_key(text, MAX_NESTING)
    if at is not None:
        raise ScenarioError([Problem(path, text.count("\n", 0, at) + 1, f"a dotted key of more "
                                     f"than {MAX_NESTING} parts: nested more than {MAX_NESTING} "
                                     "levels deep (the most a scenario may nest)")])
    keys: list[bytes] | None = None
    try:
        alike = _read_steps_alike(text)
        if alike is not None:
            data, keys = alike
        else:
            data = _read_toml(text)
    except tomli.TOMLDecodeError as exc:
        match = _TOML_POSITION.fullmatch(str(exc))
        line = int(match[2]) if match else 1
        reason = match[1] if match else str(exc)
        column = f" (column {match[3]})" if match else ""
        raise ScenarioError([Problem(path, line, f"not valid TOML: {reason}{column}")]) from None
    except RecursionError:  # raised by the parser past its own nesting limit
        raise ScenarioError([Problem(path, None, "values are nested too deeply to read: "
                                     f"a scenario may nest at most {MAX_NESTING} levels")]
                            ) from None
    except MemoryError:
        raise ScenarioError([Problem(path, None, "too large to read")]) from None
    steps = data.get("steps")
    if isinstance(steps, list) and len(steps) > MAX_STEPS:
        raise ScenarioError([Problem(path, None, f"{len(steps):,} steps: a scenario may have "
                                     f"at most {MAX_STEPS:,}; split it into several files")])
    return _Checker(text, path, external=None if variables is None else set(variables)
                    ).check(data, keys)


# The end of an offset date-time (":00Z", ":32-07:00", ":00.5+01:00"): rtoml
# gives it a tzinfo of its own where tomli gives datetime.timezone. Anything
# like one (in a string or a comment too) is read by tomli.
_OFFSET_TIME = re.compile(r":\d\d(?:\.\d+)?[Zz+-]")


def _read_toml(text: str) -> dict[str, Any]:
    """The TOML of a scenario, read by rtoml when it gives what tomli would.

    rtoml reads a well-formed file about twice as fast as tomli, with the same
    values (types, key order) on the TOML test suite, but in its own words when
    it refuses one. So a file rtoml cannot read (or that it reads differently:
    a byte-order mark, which tomli refuses; offset date-times, see above) goes
    to tomli, which gives the verdict and the message exactly as before."""
    if rtoml is not None and not text.startswith("\ufeff") and not _OFFSET_TIME.search(text):
        try:
            data = rtoml.loads(text)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            data = None  # a refusal (or a Rust panic): tomli says why, below
        if isinstance(data, dict):
            return data
    return tomli.loads(text)


_STEP_LINE = "\n[[steps]]\n"


def _read_steps_alike(text: str) -> tuple[dict[str, Any], list[bytes]] | None:
    """A file of many steps written alike, read one distinct step text at a
    time; None when it is not such a file (then the whole text is read).

    The text is cut at the lines that are exactly ``[[steps]]``. Without a
    multi-line string (no three quotes in a row) such a line can only be the header
    of a step: in an array or an inline table it is not valid TOML, which the
    reading of the whole text then reports. What is before the first header
    is read alone and must not define ``steps``; each piece after one is read
    as ``[[steps]]`` + piece and must hold nothing but ``steps`` (tables below
    its own step: it can touch nothing of another piece). The file is then the
    first part with ``steps`` the pieces' steps in order, as reading it whole
    gives; any piece not read, or not so, and the whole text is read instead,
    so that every message is as before.

    Each distinct piece is read once; a step read before is copied through
    marshal (the exact types and values, dict order kept: see _Shape), so no
    two steps share a list or a table. Its marshal bytes are the step's key for
    _Shape, returned beside the data. Only worth it when pieces repeat: when
    more than half are distinct, or a piece has a date or time (not marshalled),
    None."""
    if '"""' in text or "'''" in text:
        return None
    pieces = text.split(_STEP_LINE)
    preamble, bodies = pieces[0], pieces[1:]
    distinct = dict.fromkeys(bodies)
    if len(bodies) < 3 or len(distinct) * 2 > len(bodies):
        return None
    try:
        data = _read_toml(preamble)
        read: dict[str, tuple[list[Any], bytes, list[bytes]]] = {}
        for body in distinct:
            part = _read_toml("[[steps]]\n" + body)
            steps = part.get("steps")
            if len(part) != 1 or not isinstance(steps, list):
                return None
            read[body] = (steps, marshal.dumps(steps), [marshal.dumps(step) for step in steps])
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # not read, or a value marshal cannot write: the whole text
        return None
    if "steps" in data:
        return None
    all_steps: list[Any] = []
    keys: list[bytes] = []
    copied: set[str] = set()
    for body in bodies:
        steps, blob, step_keys = read[body]
        if body in copied:
            all_steps.extend(marshal.loads(blob))  # noqa: S302 - bytes made just above
        else:  # the first use of a piece takes what was read
            copied.add(body)
            all_steps.extend(steps)
        keys.extend(step_keys)
    data["steps"] = all_steps
    return data, keys


def _too_big(path: str, size: int | None = None) -> Problem:
    mib, limit = 1024 * 1024, MAX_FILE_BYTES
    most = f"{limit // mib} MiB" if limit % mib == 0 else f"{limit:,} bytes"
    this = f"this one is {size:,} bytes" if size is not None else "this one is larger"
    return Problem(path, None, f"a scenario file may be at most {most}; {this}: "
                               "split it into several files")


def _too_deep_at(data: dict[str, Any]) -> Loc | None:
    """Where lists and tables first nest more than MAX_NESTING deep (the file's
    top level counts as 1), found level by level without recursing; None if
    nowhere."""
    level: list[Any] = [data]
    for _ in range(MAX_NESTING):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return None
    return _path_to(data, level[0])


def _path_to(data: Any, target: Any) -> Loc:
    """The key path from ``data`` to the container ``target`` (by identity);
    only run once something is known to be too deep."""
    stack: list[tuple[Any, Loc]] = [(data, ())]
    while stack:
        item, loc = stack.pop()
        if item is target:
            return loc
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        stack.extend((child, (*loc, key)) for key, child in pairs
                     if isinstance(child, dict | list) and len(loc) <= MAX_NESTING)
    return ()


def _has_level(value: Any, level: int) -> bool:
    """Whether a container at ``level`` (the file's top level is 1) holds
    lists or tables nested past MAX_NESTING."""
    return nested_deeper_than(value, MAX_NESTING - level + 1)


def _nested_within_limit(data: dict[str, Any], shapes: list[_Shape | None]) -> bool:
    """True when nothing in the file nests past MAX_NESTING, found step shape
    by step shape (a file of 60,000 steps has a handful); False sends the
    file to _too_deep_at, which says where."""
    steps = data.get("steps")
    if not isinstance(steps, list) or len(shapes) != len(steps):
        return False
    for key, value in data.items():
        if key != "steps" and isinstance(value, dict | list) and _has_level(value, 2):
            return False
    for raw, shape in zip(steps, shapes, strict=True):
        if shape is None:
            return False
        if shape.deep is None:
            shape.deep = _has_level(raw, 3)  # the file (1) > steps (2) > a step (3)
        if shape.deep:
            return False
    return True


@dataclass(eq=False)
class _Shape:
    """What is known of the steps written exactly alike, so that a check
    that depends only on what a step says runs once for all of them. Lines,
    names, baskets and whatever depends on the step's place are still
    checked step by step.

    Alike means the same ``marshal.dumps`` bytes. marshal reads back what it
    wrote with the very types and values (True is not 1, 1 is not 1.0, -0.0
    is not 0.0; dict order kept), so steps with the same bytes are equal
    value for value and type for type, and every check gives them the same
    verdict. Steps it cannot write (dates and times) are checked one by one.
    """

    deep: bool | None = None  # nested past MAX_NESTING
    valid: _Valid | None = None  # set when the step passed Step's model
    references: list[tuple[Loc, list[Reference] | str]] | None = None  # see _references_written
    body_problems: list[tuple[Loc, str]] | None = None  # see _Checker._body_problems
    expect_problems: list[tuple[Loc, str]] | None = None  # see _Checker._expect_problems


@dataclass(frozen=True, eq=False)
class _Valid:
    """A Step that passed the model, kept so a step written the same way is
    made without validating it again: the same field values, as
    ``Step.model_validate`` would give them (fresh containers), built the
    way pydantic's own ``__copy__`` builds a model. Only for steps with
    nothing but the keys below, whose validated values are immutable but
    the body (a new dict of the same values, as the model makes) and
    the default expectations (a fresh Expectation)."""

    KEYS = frozenset({"name", "action", "basket", "body"})
    fields: dict[str, Any]
    fields_set: frozenset[str]
    private: dict[str, Any]

    @classmethod
    def fits(cls, raw: dict[str, Any]) -> bool:
        return raw.keys() <= cls.KEYS and isinstance(raw.get("body", {}), dict)

    @classmethod
    def of(cls, step: Step) -> _Valid:
        return cls(dict(step.__dict__), frozenset(step.__pydantic_fields_set__),
                   dict(step.__pydantic_private__ or {}))

    def step_for(self, raw: dict[str, Any], line: int) -> Step:
        """The Step ``Step.model_validate(raw)`` gives, with ``_line`` set."""
        values = dict(self.fields)
        if "body" in raw:
            values["body"] = dict(raw["body"])
        values["expect"] = Expectation()  # the field's default_factory
        step = Step.__new__(Step)
        object.__setattr__(step, "__dict__", values)
        object.__setattr__(step, "__pydantic_extra__", None)
        object.__setattr__(step, "__pydantic_fields_set__", set(self.fields_set))
        object.__setattr__(step, "__pydantic_private__", {**self.private, "_line": line})
        return step


_TOP_KEYS = ("version", "name", "description", "steps", "data")


@dataclass
class _Checker:
    text: str
    path: str
    problems: list[Problem] = field(default_factory=list)
    found: int = 0  # problems found, listed or not (beyond MAX_PROBLEMS)
    # Step indexes, built once the steps are read: see _index.
    first_named: dict[str, int] = field(default_factory=dict)
    latest_initiate: list[int | None] = field(default_factory=list)
    named: list[tuple[int, str]] = field(default_factory=list)
    suggest_budget: int = _SUGGEST_BUDGET
    raw_steps: list[Any] = field(default_factory=list)  # as parsed
    external: set[str] | None = None  # variables given from outside, if known
    version: Any = None
    columns: set[str] = field(default_factory=set)  # of the [[data]] table
    first_capture: dict[str, int] | None = None  # variable -> first step capturing it

    def __post_init__(self) -> None:
        self.where = _Lines(self.text)

    @property
    def full(self) -> bool:
        """No more problems are listed (they are still counted)."""
        return len(self.problems) >= MAX_PROBLEMS

    def fail(self) -> ScenarioError:
        problems = list(self.problems)
        if self.found > len(problems):
            problems.append(Problem(self.path, None, f"{self.found - len(problems)} more "
                                    f"problems not listed (the first {MAX_PROBLEMS} are)"))
        return ScenarioError(problems)

    # -------------------------------------------------------------- reporting

    def report(self, step: int | None, loc: Loc, message: str) -> None:
        self.found += 1
        if self.full:
            return
        line = self.where.find(step, loc)
        prefix = ""
        if step is not None:
            # Labelled as written (valid or not), when a problem needs it.
            label = _label(self.raw_steps[step], step) if step < len(self.raw_steps) else None
            prefix = f"{label or f'step {step + 1}'}: "
        where = format_location(loc)
        self.problems.append(Problem(self.path, line, f"{prefix}{where + ': ' if where else ''}"
                                                     f"{message}"))

    def report_validation(self, step: int | None, base: Loc, exc: ValidationError,
                          known_keys: dict[Loc, tuple[str, ...]]) -> None:
        for loc, message in self.validation_problems(base, exc, known_keys):
            self.report(step, loc, message)

    def validation_problems(self, base: Loc, exc: ValidationError,
                            known_keys: dict[Loc, tuple[str, ...]]) -> list[tuple[Loc, str]]:
        """Each error of a model as (where, what), in the file's words."""
        found: list[tuple[Loc, str]] = []
        for detail in exc.errors(include_url=False):
            loc = (*base, *_clean_loc(detail.get("loc", ())))
            message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
            kind = detail.get("type")
            if kind == "extra_forbidden":
                parent = tuple(p for p in loc[:-1] if isinstance(p, str))
                options = known_keys.get(parent, ())
                if parent == () and self.version != LATEST_VERSION:
                    options = tuple(o for o in options if o not in V2_STEP_KEYS)
                guess = difflib.get_close_matches(str(loc[-1]), options, n=1)
                message = "unknown key" + (f" (did you mean {guess[0]!r}?)" if guess else
                                           f" (known: {', '.join(options)})" if options else "")
            elif kind == "literal_error" and loc[-1] == "action":
                message = f"unknown action {detail.get('input')!r}: use {', '.join(ACTIONS)}"
            elif kind == "missing":
                message = "missing"
            elif kind == "string_pattern_mismatch" and loc[-1] in ("name", "basket"):
                message = (f"{detail.get('input')!r} is not a step name: use letters, digits, "
                           "- and _, starting with a letter (it goes in ${NAME.…} references)")
            found.append((loc, message))
        return found

    # -------------------------------------------------------------- the checks

    def check(self, data: dict[str, Any], keys: list[bytes] | None = None) -> Scenario:
        """``keys``: the steps' marshal bytes, when the reader has them."""
        header_ok = self._check_header(data)
        raw_steps = data.get("steps")
        if isinstance(raw_steps, list):
            self.raw_steps = raw_steps
        shapes = self._shapes(raw_steps, keys)
        self._check_nesting(data, shapes)
        steps: list[Step] = []
        broken: set[int] = set()
        if isinstance(raw_steps, list):
            for index, raw in enumerate(raw_steps):
                step = self._check_step(index, raw, shapes[index])
                if step is None:
                    # Stand in with what can be read, so the other steps are
                    # still checked (and can name this one) in the same pass.
                    step = _stand_in_step(raw)
                    broken.add(index)
                steps.append(step)
        self._index(steps)
        self._check_names(steps)
        for index, step in enumerate(steps):
            if index not in broken:
                self._check_semantics(index, step, steps, shapes[index])
        if self.found or not header_ok:
            raise self.fail()
        scenario = Scenario(
            version=data["version"],
            name=data["name"],
            description=data.get("description"),
            steps=steps,
            data=data.get("data"),
        )
        scenario._path = self.path
        return scenario

    def _shapes(self, raw_steps: Any, keys: list[bytes] | None = None) -> list[_Shape | None]:
        """One _Shape per step, shared by the steps written exactly alike:
        the checks that depend only on what a step says run once per shape.
        None for a step that is not a table (or too deep to key). ``keys``:
        each step's marshal bytes, if known already."""
        if not isinstance(raw_steps, list):
            return []
        if keys is not None and len(keys) != len(raw_steps):
            keys = None
        known: dict[bytes, _Shape] = {}
        shapes: list[_Shape | None] = []
        for index, raw in enumerate(raw_steps):
            try:
                key = (None if not isinstance(raw, dict) else
                       keys[index] if keys is not None else marshal.dumps(raw))
            except (ValueError, RecursionError):  # a date or time; nested too deep
                key = None  # checked the long way
            if key is None:
                shapes.append(None)
                continue
            shape = known.get(key)
            if shape is None:
                shape = known[key] = _Shape()
            shapes.append(shape)
        return shapes

    def _check_nesting(self, data: dict[str, Any], shapes: list[_Shape | None]) -> None:
        """Refuse values nested too deep before anything walks them (the
        checks here, and replay, recurse once per level)."""
        if _nested_within_limit(data, shapes):
            return
        loc = _too_deep_at(data)
        if loc is None:
            return
        shown = loc[:8]  # enough to find the place; the rest is more of the same
        message = f"nested more than {MAX_NESTING} levels deep (the most a scenario may nest)"
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            self.report(loc[1], shown[2:], message)
        else:
            self.report(None, shown, message)
        raise self.fail()

    def _index(self, steps: list[Step]) -> None:
        """What later checks look up across steps, in one pass: the first step
        of each name, the latest initiate (expecting success) before each
        step, and the names in order (for suggestions)."""
        latest: int | None = None
        for index, step in enumerate(steps):
            self.latest_initiate.append(latest)
            if step.action == "initiate" and is_success(step.expect.status):
                latest = index
            if step.name is not None:
                self.first_named.setdefault(step.name, index)
                self.named.append((index, step.name))

    def _suggest(self, name: str, before: int) -> str | None:
        """The earlier step name closest to ``name``, if one is close; looks
        through the nearest _SUGGEST_POOL earlier names, within the budget."""
        if self.full:
            return None
        end = bisect.bisect_left(self.named, (before, ""))
        pool = [known for _, known in self.named[max(0, end - _SUGGEST_POOL):end]]
        if len(pool) > self.suggest_budget:
            return None
        self.suggest_budget -= len(pool)
        guess = difflib.get_close_matches(name, pool, n=1)
        return guess[0] if guess else None

    def _check_header(self, data: dict[str, Any]) -> bool:
        before = self.found
        for key in data:
            if key not in _TOP_KEYS:
                guess = [] if self.full else difflib.get_close_matches(key, _TOP_KEYS, n=1)
                self.report(None, (key,), "unknown key"
                            + (f" (did you mean {guess[0]!r}?)" if guess else ""))
        version = data.get("version")
        self.version = version
        if "version" not in data:
            self.report(None, (), f"missing version = {FORMAT_VERSION} at the top of the file")
        elif version not in VERSIONS or isinstance(version, bool):
            self.report(None, ("version",), f"{version!r} is not supported (this "
                        f"basket-builder reads version {FORMAT_VERSION} or {LATEST_VERSION})")
        name = data.get("name")
        if "name" not in data:
            self.report(None, (), "missing name = \"...\" at the top of the file")
        elif not isinstance(name, str) or not name.strip():
            self.report(None, ("name",), "must be non-empty text")
        if "description" in data and not isinstance(data["description"], str):
            self.report(None, ("description",), "must be text")
        steps = data.get("steps")
        if isinstance(steps, dict):
            self.report(None, ("steps",), "write each step as [[steps]], with two brackets: "
                        "the steps are a list")
        elif not isinstance(steps, list) or not steps:
            self.report(None, ("steps",) if "steps" in data else (),
                        "the scenario needs at least one [[steps]] table")
        elif not all(isinstance(s, dict) for s in steps):
            self.report(None, ("steps",), "steps must be tables: write each as [[steps]]")
        if "data" in data:
            self._check_data(data["data"])
        return self.found == before

    def _data_line(self, row: int | None) -> int:
        headers = [i for i, line in enumerate(self.where.lines)
                   if re.match(r"^\s*\[\[\s*data\s*\]\]", line)]
        if row is not None and row < len(headers):
            return headers[row] + 1
        found = next((i for i, line in enumerate(self.where.lines)
                      if re.match(r"^\s*data\s*=", line)), None)
        return (found + 1) if found is not None else (headers[0] + 1 if headers else 1)

    def _report_line(self, line: int, message: str) -> None:
        self.found += 1
        if not self.full:
            self.problems.append(Problem(self.path, line, message))

    def _check_data(self, rows: Any) -> None:
        if self.version == 1:
            self._report_line(self._data_line(None), "data tables ([[data]]) need version = 2 "
                              "(this file says version = 1)")
            return
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self._report_line(self._data_line(None), "write each data row as [[data]] with "
                              "name = value lines")
            return
        first = list(rows[0])
        for number, row in enumerate(rows):
            where = f"data row {number + 1}"
            for key, value in row.items():
                if not re.match(VARIABLE_PATTERN, key):
                    self._report_line(self._data_line(number), f"{where}: {key!r} is not a "
                                      "variable name: use letters, digits and _")
                if not isinstance(value, str | int | float | bool):
                    self._report_line(self._data_line(number), f"{where}: {key}: must be "
                                      "text, a number or true/false")
            if set(row) != set(first):
                missing = sorted(set(first) - set(row))
                extra = sorted(set(row) - set(first))
                self._report_line(self._data_line(number), f"{where}: every row needs the "
                                  f"same names as row 1 ({', '.join(first)})"
                                  + (f"; missing {', '.join(missing)}" if missing else "")
                                  + (f"; not in row 1: {', '.join(extra)}" if extra else ""))
        self.columns = set(first)

    def _check_step(self, index: int, raw: Any, shape: _Shape | None = None) -> Step | None:
        if not isinstance(raw, dict):
            return None
        if self.version == 1:
            for key in V2_STEP_KEYS:
                if key in raw:
                    self.report(index, (key,), f"{key} needs version = 2 (this file says "
                                "version = 1)")
        if shape is not None and shape.valid is not None:
            # A step written the same way was valid.
            return shape.valid.step_for(raw, self.where.find(index))
        try:
            step = Step.model_validate(raw)
            if shape is not None and _Valid.fits(raw):
                shape.valid = _Valid.of(step)
        except ValidationError as exc:
            self.report_validation(index, (), exc, _STEP_KEYS)
            if not all(error["loc"][:1] == ("expect",) for error in exc.errors()):
                return None
            # Only the expectations are wrong: the body can still be checked.
            step = Step.model_validate({k: v for k, v in raw.items() if k != "expect"})
        step._line = self.where.find(index)
        return step

    def _check_names(self, steps: list[Step]) -> None:
        seen: dict[str, int] = {}
        for index, step in enumerate(steps):
            if step.name is None:
                continue
            if step.name in seen:
                self.report(index, ("name",), f"the name {step.name!r} is already used by "
                            f"step {seen[step.name] + 1}; names must be unique")
            else:
                seen[step.name] = index

    def _check_semantics(self, index: int, step: Step, steps: list[Step],
                         shape: _Shape | None = None) -> None:
        self._check_basket(index, step, steps)
        self._check_expect(index, step, steps, shape)
        self._check_v2(index, step, steps)
        if step.action == "validate":
            if step.body is not None:
                self.report(index, ("body",), "a validate step sends no body; remove it")
            return
        if step.body is None:
            needed = ("[steps.body.order] with orderItems, external_id, country, source and "
                      "order_type" if step.action == "initiate"
                      else "[[steps.body.orderActions]]")
            self.report(index, (), f"an {step.action} step needs a body: {needed}")
            return
        self._check_references(index, step, steps, shape)
        self._check_body(index, step, shape)

    def _check_basket(self, index: int, step: Step, steps: list[Step]) -> None:
        if step.action == "initiate":
            if step.basket is not None:
                self.report(index, ("basket",), "an initiate step makes its own basket; "
                            "basket = ... is for update and validate steps")
            return
        if step.basket is not None:
            target = self.first_named.get(step.basket)
            if target is None:
                self.report(index, ("basket",), f"no step is named {step.basket!r}")
            elif target >= index:
                self.report(index, ("basket",), f"{steps[target].label(target)} runs "
                            f"{'later' if target > index else 'as this step'}; name an "
                            "earlier initiate step")
            elif steps[target].action != "initiate":
                self.report(index, ("basket",), f"{steps[target].label(target)} is not an "
                            "initiate step; name the initiate step that made the basket")
            elif not is_success(steps[target].expect.status):
                self.report(index, ("basket",), f"{steps[target].label(target)} expects "
                            f"status {steps[target].expect.status}, so it makes no basket")
            else:
                step._basket_step = target
            return
        earlier = self.latest_initiate[index]
        if earlier is not None:
            step._basket_step = earlier
            return
        self.report(index, ("action",), f"there is no earlier initiate step whose basket "
                    f"this {step.action} could use")

    def _check_expect(self, index: int, step: Step, steps: list[Step],
                      shape: _Shape | None = None) -> None:
        """What the step expects, against its action; the problems depend on
        nothing but what the step says, so a shape keeps them."""
        found = shape.expect_problems if shape is not None else None
        if found is None:
            found = self._expect_problems(index, step)
            if shape is not None:
                shape.expect_problems = found
        for loc, message in found:
            self.report(index, loc, message)

    def _expect_problems(self, index: int, step: Step) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        expect = step.expect
        if not is_success(expect.status):
            for key in expect.checks_reply:
                found.append((("expect", key), f"cannot be checked when the step expects "
                              f"status {expect.status}: a refused call returns no basket"))
        elif expect.message is not None:
            found.append((("expect", "message"), "checks the message of a refused call; "
                          "use it with status = 401, 404 or 502"))
        if step.action != "validate":
            for key in ("valid", "blocked", "errors"):
                if getattr(expect, key) is not None:
                    found.append((("expect", key), "is checked by validate steps only"))
        if expect.valid is True and (expect.blocked or expect.errors):
            found.append((("expect", "valid"), "a valid basket has nothing blocked and no "
                          "errors: drop valid = true or the blocked/errors lists"))
        raw = self.raw_steps[index] if index < len(self.raw_steps) else None
        if isinstance(raw, dict) and "${" not in repr(raw.get("expect")):
            return found  # no string in it has a reference (a quick look saves a walk)
        for loc, text in walk_strings(expect.model_dump(exclude_none=True), ("expect",)):
            if "${" in text:
                found.append((loc, "references are resolved in bodies only; write the "
                              "offer name or id"))
        return found

    def _defined(self, index: int, name: str, steps: list[Step]) -> bool | None:
        """Whether a step may use the variable: captured by an earlier step, a
        data column, or given from outside; None when that is not known. The
        first step capturing each name is indexed once, on first need."""
        if self.external is None:
            return None
        if name in self.external or name in self.columns:
            return True
        if self.first_capture is None:
            self.first_capture = {}
            for position, step in enumerate(steps):
                for captured in step.captured:
                    self.first_capture.setdefault(captured, position)
        return self.first_capture.get(name, index) < index

    def _check_variable(self, index: int, loc: Loc, ref: Any, steps: list[Step]) -> None:
        if self.version == 1:
            self.report(index, loc, f"${{{ref.text}}}: variables need version = 2 (this file "
                        "says version = 1); " + "in version 1 use " + REFERENCE_FORMS)
            return
        if self._defined(index, ref.name, steps) is False:
            later = next((i for i, s in enumerate(steps) if ref.name in s.captured), None)
            hint = (f"; {steps[later].label(later)} captures it, which runs "
                    f"{'later' if later > index else 'as this step'}"
                    if later is not None and later >= index else
                    f": capture it in an earlier step, add it to [[data]], or give "
                    f"--var {ref.name}=...")
            self.report(index, loc, f"${{{ref.text}}} is not defined{hint}")

    def _check_v2(self, index: int, step: Step, steps: list[Step]) -> None:
        if self.version != LATEST_VERSION:
            return  # the keys themselves are refused (see _check_step)
        if step.retry is not None or step.retry_interval is not None:
            if step.action == "update":
                self.report(index, ("retry" if step.retry is not None else "retry_interval",),
                            "an update step cannot be retried: an update is not idempotent "
                            "(retry a validate step instead)")
            if step.retry_interval is not None:
                try:
                    parse_duration(step.retry_interval)
                except ValueError as exc:
                    self.report(index, ("retry_interval",), str(exc))
            if step.retry is None:
                self.report(index, ("retry_interval",), "goes with retry = N")
            elif not step.check and step.retry:
                self.report(index, ("retry",), "retries until the step's [[steps.check]] "
                            "pass: add at least one check")
        for name, source in (step.capture or {}).items():
            if not re.match(VARIABLE_PATTERN, name) or name == "uuid":
                self.report(index, ("capture", name), f"{name!r} is not a variable name: use "
                            "letters, digits and _ (and not uuid)")
            if isinstance(source, str):
                try:
                    compile_path(source)
                except ValueError as exc:
                    self.report(index, ("capture", name), str(exc))
            elif isinstance(source, dict):
                try:
                    step.capture[name] = CaptureSource.model_validate(source)  # type: ignore[index]
                except ValidationError as exc:
                    for detail in exc.errors(include_url=False):
                        where = ".".join(str(p) for p in detail.get("loc", ()))
                        message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
                        if detail.get("type") == "extra_forbidden":
                            message = "unknown key (a capture takes header or cookie)"
                        self.report(index, ("capture", name, *([where] if where else [])),
                                    message)
            else:
                self.report(index, ("capture", name), "a capture is \"$.jsonpath\", "
                            "{ header = \"X-Name\" } or { cookie = \"name\" }")
        for number, check in enumerate(step.check or []):
            check._line = self.where.find(index, ("check", number, check.operator))
            check._source = self.where.lines[check._line - 1] if check._line else ""
            for loc, text in walk_strings(check.model_dump(include={check.operator}),
                                          ("check", number)):
                try:
                    found = references_in(text)
                except ValueError as exc:
                    self.report(index, loc, str(exc))
                    continue
                for ref in found:
                    if ref.kind == "var":
                        self._check_variable(index, loc, ref, steps)
                    elif ref.kind != "uuid":
                        self.report(index, loc, f"${{{ref.text}}}: a check can use variables "
                                    "(${name}); capture the value you need first")

    def _check_references(self, index: int, step: Step, steps: list[Step],
                          shape: _Shape | None = None) -> None:
        written = shape.references if shape is not None else None
        if written is None:
            written = _references_written(step.body)
            if shape is not None:
                shape.references = written
        for loc, found in written:
            if isinstance(found, str):  # malformed: why
                self.report(index, loc, found)
                continue
            for ref in found:
                if ref.kind == "var":
                    self._check_variable(index, loc, ref, steps)
                    continue
                if ref.step is None:
                    continue
                target = self.first_named.get(ref.step)
                if target is None:
                    guess = self._suggest(ref.step, index)
                    self.report(index, loc, f"${{{ref.text}}} refers to no step: no step is "
                                f"named {ref.step!r}"
                                + (f" (did you mean {guess!r}?)" if guess else ""))
                elif target >= index:
                    when = "later" if target > index else "in this very step"
                    self.report(index, loc, f"${{{ref.text}}} refers to "
                                f"{steps[target].label(target)}, which runs {when}; a step "
                                "can only use what earlier steps returned")
                elif not is_success(steps[target].expect.status):
                    self.report(index, loc, f"${{{ref.text}}} refers to "
                                f"{steps[target].label(target)}, which expects status "
                                f"{steps[target].expect.status} and so returns no basket")

    def _check_body(self, index: int, step: Step, shape: _Shape | None = None) -> None:
        """The body against the request model; its problems depend on nothing
        but the body and the action, so a shape keeps them."""
        found = shape.body_problems if shape is not None else None
        if found is None:
            found = self._body_problems(step)
            if shape is not None:
                shape.body_problems = found
        for loc, message in found:
            self.report(index, loc, message)

    def _body_problems(self, step: Step) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = []
        # A copy (map_strings makes every dict and list anew) that the request
        # model can check: references as stand-ins, and offers too (below).
        stand_in = map_strings(step.body, _stand_in)
        if step.action == "initiate":
            _check_offers(step.body or {}, found, stand_in)
            model: type[BaseModel] = InitiateCheckout
        else:
            model = UpdateCheckout
        try:
            model.model_validate(stand_in)
        except ValidationError as exc:
            keys = _INITIATE_KEYS if step.action == "initiate" else _UPDATE_KEYS
            found += self.validation_problems(("body",), exc, keys)
        return found


def _check_offers(body: dict[str, Any], found: list[tuple[Loc, str]],
                  stand_in: dict[str, Any]) -> None:
    """Offers by name or id are looked up at run time: check their shape in
    ``body`` (the problems go to ``found``), then put a stand-in id and
    version in its copy ``stand_in`` (the same dicts and lists, made anew) so
    the request model can check the rest."""
    order = body.get("order")
    items = order.get("orderItems") if isinstance(order, dict) else None
    if not isinstance(items, list):
        return
    for position, item in enumerate(items):
        offer = item.get("offer") if isinstance(item, dict) else None
        if not isinstance(offer, dict):
            continue
        loc: Loc = ("body", "order", "orderItems", position, "offer")
        unknown = [key for key in offer if key not in ("id", "name", "version")]
        for key in unknown:
            found.append(((*loc, key), "unknown key (an offer is { name = ... }, "
                          "{ id = ... } or { id = ..., version = ... })"))
        if "id" in offer and "name" in offer:
            found.append((loc, "give the offer's name or its id, not both"))
        elif "id" not in offer and "name" not in offer:
            found.append((loc, "an offer needs a name = \"...\" or an id = \"...\""))
        for key in ("id", "name", "version"):
            if key in offer and (not isinstance(offer[key], str) or not offer[key].strip()):
                found.append(((*loc, key), "must be non-empty text"))
        # Reported above if wrong: the request model checks the rest.
        stand_in["order"]["orderItems"][position]["offer"] = {"id": "stand-in",
                                                               "version": "stand-in"}


def _references_written(body: Any) -> list[tuple[Loc, list[Reference] | str]]:
    """Where a body has references: each string with a ``${`` and its
    references parsed, or why they cannot be (a string without ``${`` has
    none, and nothing wrong with it)."""
    written: list[tuple[Loc, list[Reference] | str]] = []
    for loc, text in _strings_with_references(body, ["body"], []):
        try:
            written.append((loc, references_in(text)))
        except ValueError as exc:
            written.append((loc, str(exc)))
    return written


def _strings_with_references(value: Any, path: list[str | int],
                             found: list[tuple[Loc, str]]) -> list[tuple[Loc, str]]:
    """walk_strings(value, path) for the strings with a ``${`` only, in the
    same order; where a string is, is made only for those."""
    if isinstance(value, str):
        if "${" in value:
            found.append((tuple(path), value))
    elif isinstance(value, dict):
        for key, item in value.items():
            path.append(key)
            _strings_with_references(item, path, found)
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            _strings_with_references(item, path, found)
            path.pop()
    return found


_STEP_NAME = re.compile(STEP_NAME_PATTERN)


def _label(raw: Any, index: int) -> str:
    """``Step.label`` of a step as written, valid or not (without building a
    model: a step that failed its checks has none)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("action"), str):
        return f"step {index + 1}"
    name = raw.get("name")
    named = f" {name}" if isinstance(name, str) and name and _STEP_NAME.match(name) else ""
    return f"step {index + 1} ({raw['action']}{named})"


def _stand_in_step(raw: Any) -> Step:
    """A step that failed its checks, as far as it can be read."""
    raw = raw if isinstance(raw, dict) else {}
    name = raw.get("name")
    action = raw.get("action")
    return Step.model_construct(
        name=name if isinstance(name, str) and re.match(STEP_NAME_PATTERN, name) else None,
        action=action if isinstance(action, str) else "?",
        basket=None,
        body=None,
        expect=Expectation.model_construct(status=200),
    )


def _stand_in(text: str) -> Any:
    """What a string with references looks like to the request models."""
    try:
        return substitute(text, lambda ref: 1 if ref.is_number else "stand-in")
    except ValueError:
        return text


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    return tuple(
        part for part in loc
        if not str(part).startswith(("function-", "json-or-python", "literal[", "nullable["))
    )


def _keys(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


_STEP_KEYS: dict[Loc, tuple[str, ...]] = {
    (): _keys(Step),
    ("expect",): _keys(Expectation),
    ("expect", "items"): _keys(ItemExpectation),
    ("check",): _keys(Check),
    ("capture",): _keys(CaptureSource),
}
_INITIATE_KEYS: dict[Loc, tuple[str, ...]] = {
    ("body",): ("order",),
    ("body", "order"): ("orderItems", "external_id", "country", "source", "order_type",
                        "tracking"),
    ("body", "order", "orderItems"): ("offer", "quantity", "type"),
}
_UPDATE_KEYS: dict[Loc, tuple[str, ...]] = {
    ("body",): ("orderActions",),
    ("body", "orderActions"): ("orderItemActionType", "offerId", "orderItemId", "quantity"),
}
