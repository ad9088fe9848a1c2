"""Scenario results as people and CI servers read them.

Plain text lines (one per step, then what differed), one JSON object per step
(for scripts), and the report files: JUnit XML (one testsuite per scenario or
data row, one testcase per step) for CI dashboards, TAP 14, one JSON document
with every request and reply, and a self-contained HTML page. Verdicts are
always spelled out or marked with a symbol, never left to colour. Exchanges
come redacted from the client's log (tokens, cookies); the caller masks its
own secrets over the whole text.
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


def step_lines(label: str, step: StepResult, count: int, marks: Marks = UNICODE, *,
               path: str | None = None, verbose: bool = False) -> list[str]:
    """The verdict line of a step, then one indented line per difference; a
    failed check also shows its line of the file (``path``) with a caret under
    the operator. The reply body follows on error, or always with ``verbose``."""
    when = "skipped" if step.skipped else duration(step.duration_ms)
    tries = f"  (try {step.attempts})" if step.attempts > 1 else ""
    lines = [f"{marks.of(step)} {label}  {step_title(step, count)}  {when}{tries}"]
    if step.skipped:
        return lines
    if step.error is not None:
        lines.append(f"  {marks.failed} error: {step.error}")
    for failure in step.failures:
        first, *rest = failure_lines(failure, marks)
        lines.append(f"  {marks.failed} {first}")
        lines.extend(f"    {line}" for line in rest)
        if failure.line and failure.source is not None:
            where = f"{path or label}:{failure.line}: "
            source = failure.source.rstrip()
            indent = len(source) - len(source.lstrip())
            lines.append(f"    {where}{source.lstrip()}")
            column = (failure.column or indent) - indent
            operator = failure.source[failure.column or indent:].split("=", 1)[0].rstrip()
            lines.append("    " + " " * (len(where) + max(column, 0))
                         + "^" * max(1, len(operator)))
    if step.exchange is not None and (verbose or step.error is not None):
        body = step.exchange.response_body or "(empty)"
        if len(body) > 4000 and not verbose:
            body = body[:4000] + f"... ({len(body):,} characters)"
        lines.append(f"    reply {step.exchange.status}: {body}")
    return lines


def summary_line(results: Sequence[ScenarioResult], marks: Marks = UNICODE, *,
                 wall_ms: float | None = None) -> str:
    """``wall_ms``: the time the run took, when scenarios ran side by side
    (otherwise the scenarios' times are added up)."""
    steps = [step for result in results for step in result.steps]
    files = len(results)
    failed_files = sum(1 for result in results if not result.passed)
    took = duration(wall_ms if wall_ms is not None
                    else sum(result.duration_ms for result in results))
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
        suite = ET.SubElement(root, "testsuite", name=result.title, file=label)
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
                # "scenario › step": CI dashboards list cases without their
                # suite, so each name says which scenario it belongs to.
                name=f"{result.title} › {step_title(step, len(result.steps))}",
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


# --------------------------------------------------------------------------- TAP 14


def _yaml_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def tap_report(runs: Sequence[tuple[str, ScenarioResult]]) -> str:
    """TAP version 14: a subtest per scenario (or data row), a test point per step."""
    lines = ["TAP version 14", f"1..{len(runs)}"]
    for number, (label, result) in enumerate(runs, 1):
        lines.append(f"# Subtest: {result.title}")
        lines.append(f"    1..{len(result.steps)}")
        for step in result.steps:
            title = step_title(step, len(result.steps)).replace("#", "\\#")
            if step.skipped:
                lines.append(f"    ok {step.index} - {title} # SKIP {step.error or ''}".rstrip())
                continue
            lines.append(f"    {'ok' if step.passed else 'not ok'} {step.index} - {title}")
            if step.passed:
                continue
            lines.append("      ---")
            if step.error is not None:
                lines.append(f"      message: {_yaml_text(step.error)}")
                lines.append("      severity: error")
            else:
                summary = "; ".join(failure_summary(f) for f in step.failures)
                lines.append(f"      message: {_yaml_text(summary)}")
                lines.append("      severity: fail")
                lines.append("      failures:")
                for failure in step.failures:
                    lines.append(f"        - field: {_yaml_text(failure.field)}")
                    lines.append(f"          expected: {json.dumps(failure.expected)}")
                    lines.append(f"          actual: {json.dumps(failure.actual)}")
                    if failure.line:
                        lines.append(f"          at: {_yaml_text(f'{label}:{failure.line}')}")
            lines.append(f"      duration_ms: {step.duration_ms:.1f}")
            lines.append("      ...")
        lines.append(f"{'ok' if result.passed else 'not ok'} {number} - {result.title}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON document


def _exchange_record(step: StepResult) -> dict[str, object] | None:
    exchange = step.exchange
    if exchange is None:
        return None
    return {
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": [list(pair) for pair in exchange.request_headers],
            "body": exchange.request_body,
        },
        "reply": {
            "status": exchange.status,
            "headers": [list(pair) for pair in exchange.response_headers],
            "body": exchange.response_body,
            "error": exchange.error,
        },
        "duration_ms": round(exchange.duration_ms, 1),
    }


def json_report(runs: Sequence[tuple[str, ScenarioResult]]) -> str:
    """One JSON document: every scenario (or data row), every step with its
    verdict, what differed, and its last request and reply (redacted)."""
    scenarios = []
    for label, result in runs:
        steps = []
        for step in result.steps:
            record = step_record(label, result.title, len(result.steps), step)
            record["attempts"] = step.attempts
            record["line"] = step.line
            for entry, failure in zip(record["failures"], step.failures, strict=True):  # type: ignore[call-overload]
                entry["line"] = failure.line
            record["exchange"] = _exchange_record(step)
            steps.append(record)
        scenarios.append({
            "file": label,
            "scenario": result.name,
            "case": result.case,
            "passed": result.passed,
            "duration_ms": round(result.duration_ms, 1),
            "counts": {v: result.count(v) for v in ("passed", "failed", "error", "skipped")},
            "steps": steps,
        })
    document = {
        "format": "basket-builder scenario report",
        "version": 1,
        "passed": all(result.passed for _, result in runs),
        "scenarios": scenarios,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1b1b;background:#fff}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top} .passed{color:#176f2c} .failed,.error{color:#b00020}
.skipped{color:#666} pre{background:#f5f5f5;padding:.6em;overflow:auto;max-height:30em;
white-space:pre-wrap;word-break:break-all} .summary{font-weight:600}
"""


def html_report(runs: Sequence[tuple[str, ScenarioResult]]) -> str:
    """One self-contained page (no scripts, no external assets): a summary,
    each scenario with its steps, verdicts, expected vs actual, and each
    request and reply (redacted) behind a <details>."""
    from html import escape

    results = [result for _, result in runs]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>basket-builder scenario report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>basket-builder scenario report</h1>",
        f'<p class="summary">{escape(summary_line(results, UNICODE))}</p>',
    ]
    for label, result in runs:
        verdict = "passed" if result.passed else "failed"
        mark = UNICODE.passed if result.passed else UNICODE.failed
        parts.append(f'<h2 class="{verdict}">{mark} {escape(result.title)}</h2>')
        parts.append(f"<p>{escape(label)} · {escape(duration(result.duration_ms))}</p>")
        parts.append("<table><tr><th>step</th><th>verdict</th><th>time</th><th>details</th></tr>")
        for step in result.steps:
            details: list[str] = []
            if step.error is not None:
                details.append(f"<p>{escape(step.error)}</p>")
            for failure in step.failures:
                expected = failure.expected if isinstance(failure.expected, str) else \
                    ", ".join(failure.expected)
                actual = failure.actual if isinstance(failure.actual, str) else \
                    ", ".join(failure.actual)
                at = f" (line {failure.line})" if failure.line else ""
                details.append(f"<p><b>{escape(failure.field)}</b>{escape(at)}: expected "
                               f"<code>{escape(expected)}</code>, got "
                               f"<code>{escape(actual)}</code></p>")
            record = _exchange_record(step)
            if record is not None:
                request, reply = record["request"], record["reply"]
                details.append(
                    "<details><summary>request and reply</summary>"
                    f"<pre>{escape(str(request['method']))} {escape(str(request['url']))}\n"  # type: ignore[index]
                    f"{escape(str(request['body']))}</pre>"  # type: ignore[index]
                    f"<pre>HTTP {escape(str(reply['status']))}\n"  # type: ignore[index]
                    f"{escape(str(reply['body']))}</pre></details>"  # type: ignore[index]
                )
            when = "skipped" if step.skipped else duration(step.duration_ms)
            parts.append(
                f'<tr><td>{escape(step_title(step, len(result.steps)))}</td>'
                f'<td class="{step.verdict}">{escape(step.verdict)}</td>'
                f"<td>{escape(when)}</td><td>{''.join(details)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
