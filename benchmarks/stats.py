"""Rows of the benchmark table: samples, their reference, the budget and the verdict.

A row is measured several times in the same run as its reference; the table
shows the median, min and max of the samples, the median of the reference,
their ratio, the budget and whether the median meets it. A row that could not
be measured carries the reason instead of numbers ("n/a: ...").
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

# Budget kinds: how the median is judged against the reference median.
RATIO = "ratio"  # median <= limit x reference
PLUS_MS = "plus_ms"  # median <= reference + limit (seconds in, milliseconds shown)
AT_MOST = "at_most"  # median <= limit, in the row's base unit (no reference needed)
NONE = "none"  # informational: no budget

UNITS = {
    "s": (1.0, "s"),
    "ms": (1000.0, "ms"),
    "MiB": (1.0 / (1024 * 1024), "MiB"),
    "rps": (1.0, "req/s"),
}


@dataclass
class Row:
    """One line of the table. ``samples`` and ``reference`` are in base units:
    seconds for times (shown in ``unit``), bytes for memory, requests/s for rates."""

    figure: str
    unit: str = "s"
    samples: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    budget: str = NONE
    limit: float = 0.0
    error: str | None = None
    note: str | None = None

    # ------------------------------------------------------------- statistics

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def reference_median(self) -> float | None:
        return statistics.median(self.reference) if self.reference else None

    @property
    def ratio(self) -> float | None:
        median, ref = self.median, self.reference_median
        if median is None or not ref:
            return None
        return median / ref

    @property
    def met(self) -> bool | None:
        """True / False against the budget; None without a budget or numbers."""
        median, ref = self.median, self.reference_median
        if self.error or median is None or self.budget == NONE:
            return None
        if self.budget == AT_MOST:
            return median <= self.limit
        if ref is None:
            return None
        if self.budget == RATIO:
            return median <= self.limit * ref
        if self.budget == PLUS_MS:
            return median <= ref + self.limit / 1000.0
        raise ValueError(f"unknown budget kind {self.budget!r}")

    # ------------------------------------------------------------- text

    def shown(self, value: float | None, with_unit: bool = False) -> str:
        if value is None:
            return "—"
        scale, label = UNITS[self.unit]
        number = value * scale
        if self.unit == "s":
            text = f"{number:.2f}" if number >= 0.1 else f"{number:.3f}"
        elif self.unit == "ms":
            text = f"{number:.1f}" if number < 100 else f"{number:.0f}"
        elif self.unit == "MiB":
            text = f"{number:.1f}"
        else:
            text = f"{number:,.0f}"
        return f"{text} {label}" if with_unit else text

    def budget_text(self) -> str:
        if self.budget == RATIO:
            return f"≤ {self.limit:g}×"
        if self.budget == PLUS_MS:
            return f"≤ ref + {self.limit:g} ms"
        if self.budget == AT_MOST:
            return f"≤ {self.shown(self.limit, with_unit=True)}"
        return "—"

    def verdict_text(self) -> str:
        if self.error:
            return f"n/a: {self.error}"
        met = self.met
        if met is None:
            return "info"
        extra = ""
        if self.budget == PLUS_MS:
            median, ref = self.median, self.reference_median
            assert median is not None and ref is not None
            extra = f" ({(median - ref) * 1000:+.0f} ms)"
        return ("✓ met" if met else "✗ over") + extra

    def cells(self) -> list[str]:
        if self.error and not self.samples:
            return [self.figure, "n/a", "", "", "", "", self.budget_text(), self.verdict_text()]
        ratio = self.ratio
        return [
            self.figure,
            self.shown(self.median, with_unit=True),
            self.shown(min(self.samples) if self.samples else None),
            self.shown(max(self.samples) if self.samples else None),
            self.shown(self.reference_median, with_unit=True) if self.reference else "—",
            f"{ratio:.2f}×" if ratio is not None else "—",
            self.budget_text(),
            self.verdict_text(),
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            median=self.median,
            min=min(self.samples) if self.samples else None,
            max=max(self.samples) if self.samples else None,
            reference_median=self.reference_median,
            ratio=self.ratio,
            met=self.met,
            verdict=self.verdict_text(),
        )
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in keys})


def failed(figure: str, reason: str, **kwargs: Any) -> Row:
    """A row that could not be measured, with the reason."""
    return Row(figure=figure, error=reason, **kwargs)


HEADERS = ["figure", "median", "min", "max", "reference (median)", "ratio", "budget", "verdict"]


def format_table(rows: list[Row]) -> str:
    """The rows as a plain-text table; notes follow, numbered, under it."""
    lines_cells = [HEADERS] + [row.cells() for row in rows]
    # Long "n/a: reason" verdicts are the last column: they need no padding.
    widths = [max(len(cells[i]) for cells in lines_cells) for i in range(len(HEADERS) - 1)]
    lines = []
    for cells in lines_cells:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])]
        lines.append("   ".join([*padded, cells[-1]]).rstrip())
    notes = [f"  - {row.figure}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def to_json(rows: list[Row], meta: dict[str, Any]) -> str:
    return json.dumps({"meta": meta, "rows": [row.to_json() for row in rows]}, indent=2)
