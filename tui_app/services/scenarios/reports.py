"""Scenario results as people and CI servers read them.

Three forms: plain text lines (one per step, then what differed), one JSON
object per step (for scripts), and JUnit XML (one testsuite per scenario file,
one testcase per step) for CI dashboards. Verdicts are always spelled out or
marked with a symbol, never left to colour.
"""

from __future__ import annotations

import difflib
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from tui_app.services.scenarios.replay import TIMES, Failure, ScenarioResult, StepResult


@dataclass(frozen=True)
class Marks:
    passed: str = "✓"
    failed: str = "✗"
    skipped: str = "–"
    times: str = TIMES

    def of(self, step: StepResult) -> str:
        return {"passed": self.passed, "skipped": self.skipped}.get(step.verdict, self.failed)


UNICODE = Marks()
ASCII = Marks(passed="ok", failed="FAIL", skipped="skip", times="x")


def marks_for(encoding: str | None) -> Marks:
    """Unicode marks where the output can carry them, plain ASCII elsewhere."""
    try:
        "".join((UNICODE.passed, UNICODE.failed, UNICODE.skipped, TIMES)).encode(
            encoding or "ascii"
        )
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def step_title(step: StepResult, count: int) -> str:
    """Like "1/3 initiate create": the step's number, the count, action and name."""
    return f"{step.index}/{count} {step.action}{f' {step.name}' if step.name else ''}"


# --------------------------------------------------------------------------- text


def failure_lines(failure: Failure, marks: Marks = UNICODE) -> list[str]:
    """``items: expected A×2, got A×3``; a list of several entries becomes a
    diff: ``-`` expected but missing, ``+`` there but not expected."""
    expected, actual = failure.expected, failure.actual
    if isinstance(expected, str) and isinstance(actual, str):
        return [_ascii(f"{failure.field}: expected {expected}, got {actual}", marks)]
    wanted = [expected] if isinstance(expected, str) else list(expected)
    got = [actual] if isinstance(actual, str) else list(actual)
    if len(wanted) <= 1 and len(got) <= 1:
        return [
            _ascii(
                f"{failure.field}: expected {wanted[0] if wanted else 'none'}, "
                f"got {got[0] if got else 'none'}",
                marks,
            )
        ]
    lines = [f"{failure.field}: expected (-) and got (+):"]
    for line in difflib.ndiff(sorted(wanted), sorted(got)):
        if line[:1] in ("-", "+", " "):
            lines.append(f"  {line}")
    return [_ascii(line, marks) for line in lines]


def failure_summary(failure: Failure) -> str:
    """One line, for a JUnit message: what was missing and what was not expected."""
    expected, actual = failure.expected, failure.actual
    if isinstance(expected, str) and isinstance(actual, str):
        return f"{failure.field}: expected {expected}, got {actual}"
    wanted = [expected] if isinstance(expected, str) else list(expected)
    got = [actual] if isinstance(actual, str) else list(actual)
    missing, extra = list(wanted), []
    for entry in got:
        if entry in missing:
            missing.remove(entry)
        else:
            extra.append(entry)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"not expected {', '.join(extra)}")
    return f"{failure.field}: {'; '.join(parts) or 'differs'}"


def step_lines(label: str, step: StepResult, count: int, marks: Marks = UNICODE) -> list[str]:
    """The verdict line of a step, then one indented line per difference."""
    when = "skipped" if step.skipped else duration(step.duration_ms)
    lines = [f"{marks.of(step)} {label}  {step_title(step, count)}  {when}"]
    if step.skipped:
        return lines
    if step.error is not None:
        lines.append(f"  {marks.failed} error: {step.error}")
    for failure in step.failures:
        first, *rest = failure_lines(failure, marks)
        lines.append(f"  {marks.failed} {first}")
        lines.extend(f"    {line}" for line in rest)
    return lines


def summary_line(results: Sequence[ScenarioResult], marks: Marks = UNICODE) -> str:
    steps = [step for result in results for step in result.steps]
    files = len(results)
    failed_files = sum(1 for result in results if not result.passed)
    took = duration(sum(result.duration_ms for result in results))
    counts = {
        verdict: sum(1 for step in steps if step.verdict == verdict)
        for verdict in ("passed", "failed", "error", "skipped")
    }
    scenarios = f"{files} scenario{'s' if files != 1 else ''}"
    if not failed_files:
        return f"{marks.passed} {scenarios}, {len(steps)} steps: all passed ({took})"
    parts = [f"{counts['passed']} passed", f"{counts['failed']} failed"]
    if counts["error"]:
        parts.append(f"{counts['error']} could not run")
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} skipped")
    return (
        f"{marks.failed} {failed_files} of {scenarios} failed; {len(steps)} steps: "
        f"{', '.join(parts)} ({took})"
    )


def _ascii(text: str, marks: Marks) -> str:
    return text if marks is UNICODE else text.replace(TIMES, marks.times).replace("…", "...")


# --------------------------------------------------------------------------- JSON


def step_record(label: str, scenario: str, count: int, step: StepResult) -> dict[str, object]:
    """A step's result as plain data: ``label`` is the file as the user named it,
    ``scenario`` the scenario's name, ``count`` how many steps it has."""
    return {
        "file": label,
        "scenario": scenario,
        "step": step.index,
        "steps": count,
        "name": step.name,
        "action": step.action,
        "verdict": step.verdict,
        "passed": step.passed,
        "duration_ms": round(step.duration_ms, 1),
        "status": step.status,
        "exchange_id": step.exchange_id,
        "failures": [
            {"field": f.field, "expected": f.expected, "actual": f.actual} for f in step.failures
        ],
        "error": step.error,
    }


def json_line(
    label: str, scenario: str, count: int, step: StepResult, *, ascii_only: bool = False
) -> str:
    """One line of JSON for one step (JSON Lines)."""
    return json.dumps(step_record(label, scenario, count, step), ensure_ascii=ascii_only)


# --------------------------------------------------------------------------- JUnit


def junit_xml(runs: Sequence[tuple[str, ScenarioResult]]) -> str:
    """JUnit XML: ``<testsuites>`` of one ``<testsuite>`` per scenario file."""
    root = ET.Element("testsuites", name="basket-builder scenarios")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for label, result in runs:
        suite = ET.SubElement(root, "testsuite", name=result.name, file=label)
        counts = {
            "tests": len(result.steps),
            "failures": result.count("failed"),
            "errors": result.count("error"),
            "skipped": result.count("skipped"),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{result.duration_ms / 1000:.3f}")
        total_time += result.duration_ms / 1000
        for step in result.steps:
            case = ET.SubElement(
                suite,
                "testcase",
                name=step_title(step, len(result.steps)),
                classname=label,
                time=f"{step.duration_ms / 1000:.3f}",
            )
            if step.skipped:
                ET.SubElement(case, "skipped", message=step.error or "skipped")
            elif step.error is not None:
                element = ET.SubElement(case, "error", message=step.error)
                element.text = step.error
            elif step.failures:
                lines = [line for f in step.failures for line in failure_lines(f)]
                summary = "; ".join(failure_summary(f) for f in step.failures)
                element = ET.SubElement(case, "failure", message=summary)
                element.text = "\n".join(lines)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
