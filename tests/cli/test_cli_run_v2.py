"""`basket-builder run` for regression suites: variables and secrets, data
tables, --jobs, --fail-fast, exit statuses, and the report files (JUnit
checked against an XSD, TAP 14, one JSON document, self-contained HTML)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tui_app.cli import main
from tui_app.services.scenarios.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
SUITE = sorted((ROOT / "examples" / "regression").glob("*.toml"))
CHECKED = ROOT / "examples" / "regression" / "captures-and-checks.toml"
TABLE = ROOT / "examples" / "regression" / "country-table.toml"
XSD = ROOT / "tests" / "scenarios" / "junit.xsd"

VARIABLE = """version = 2
name = "country from outside"

[[steps]]
action = "initiate"
[steps.body.order]
external_id = "qa-${uuid}"
country = "${country}"
source = "${source}"
order_type = "new"
[[steps.body.order.orderItems]]
offer = { name = "Digital Monthly" }
[[steps.check]]
path = "$.order.currency"
equals = "${currency}"
[[steps.check]]
path = "$.order.source"
equals = "${source}"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_help_lists_the_exit_statuses_and_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("3 the server could not be reached or refused the credentials",
                 "130 interrupted", "--jobs N", "--fail-fast", "--secret NAME=VALUE",
                 "--vars FILE", "--data FILE", "--tap PATH", "--html PATH", "--json-report PATH"):
        assert text in out


def test_vars_and_secrets_fill_references_and_secrets_are_masked(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("LIMIO_currency", "GBP")  # LIMIO_NAME is ${NAME}, and masked
    path = write(tmp_path, "v.toml", VARIABLE)
    vars_file = write(tmp_path, "vars.json", json.dumps({"country": "GB"}))
    report = tmp_path / "r.json"
    html = tmp_path / "r.html"
    args = ["run", str(path), "--vars", str(vars_file), "--secret", "source=hush-hush-9",
            "--json-report", str(report), "--html", str(html), "-v"]
    assert main(args) == 0
    out = capsys.readouterr().out
    for text in (out, report.read_text("utf-8"), html.read_text("utf-8")):
        assert "hush-hush-9" not in text and "***" in text
    assert '"GBP"' not in report.read_text("utf-8")  # the LIMIO_ value is masked too


def test_an_undefined_variable_is_a_file_error_before_anything_is_sent(tmp_path, capsys):
    path = write(tmp_path, "v.toml", VARIABLE)
    assert main(["run", str(path), "--var", "country=GB"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"{path}:9: step 1 (initiate): body.order.source: ${{source}} is not "
                      "defined: capture it in an earlier step, add it to [[data]], or give "
                      "--var source=...")
    assert main(["run", str(path), "--var", "no equals sign"]) == 2
    assert "--var 'no equals sign': write name=value" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_data_file_runs_one_case_per_row(tmp_path, capsys, kind):
    path = write(tmp_path, "v.toml", VARIABLE)
    if kind == "csv":
        data = write(tmp_path, "rows.csv", "country,currency,source\nGB,GBP,qa\nDE,EUR,qa\n")
    else:
        data = write(tmp_path, "rows.json", json.dumps([
            {"country": "GB", "currency": "GBP", "source": "qa"},
            {"country": "DE", "currency": "EUR", "source": "qa"}]))
    junit = tmp_path / "j.xml"
    assert main(["run", str(path), "--data", str(data), "--junit", str(junit)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"✓ {path} [country=GB currency=GBP source=qa]  1/1 initiate")
    assert out[1].startswith(f"✓ {path} [country=DE currency=EUR source=qa]  1/1 initiate")
    suites = ET.parse(junit).getroot().findall("testsuite")  # noqa: S314 - our own report
    assert [s.get("name") for s in suites] == [
        "country from outside [country=GB currency=GBP source=qa]",
        "country from outside [country=DE currency=EUR source=qa]",
    ]


def test_a_bad_data_file_says_where(tmp_path, capsys):
    path = write(tmp_path, "v.toml", VARIABLE)
    data = write(tmp_path, "rows.csv", "country,currency,source\nGB,GBP\n")
    assert main(["run", str(path), "--data", str(data)]) == 2
    assert f"--data {data}:2: this line has a different number of values" in \
        capsys.readouterr().err


def test_a_failed_check_prints_its_line_with_a_caret(tmp_path, capsys):
    path = write(tmp_path, "c.toml", CHECKED.read_text("utf-8").replace(
        "greater_than = 19", "greater_than = 500"))
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    at = out.index('  ✗ check $.order.total.amount | number: expected > 500, got 19.98')
    where = f"    {path}:"
    assert out[at + 1].startswith(where) and out[at + 1].endswith(": greater_than = 500")
    caret = out[at + 2]
    assert caret.strip() == "^" * len("greater_than")
    assert caret.index("^") == out[at + 1].index("greater_than")


def test_jobs_keep_the_output_in_input_order(capsys):
    files = [str(p) for p in [*EXAMPLES, *SUITE]]
    assert main(["run", *files]) == 0
    serial = [re.sub(r"  \d+(\.\d)? m?s$", "", line)
              for line in capsys.readouterr().out.splitlines()[:-1]]
    assert main(["run", "--jobs", "4", *files]) == 0
    parallel = [re.sub(r"  \d+(\.\d)? m?s$", "", line)
                for line in capsys.readouterr().out.splitlines()[:-1]]
    assert parallel == serial
    assert main(["run", "--jobs", "auto", str(EXAMPLES[0])]) == 0
    assert main(["run", "--jobs", "0", str(EXAMPLES[0])]) == 2


def test_fail_fast_starts_nothing_after_the_first_failure(tmp_path, capsys):
    failing = write(tmp_path, "f.toml", CHECKED.read_text("utf-8").replace("count = 1",
                                                                            "count = 9"))
    assert main(["run", "--fail-fast", str(failing), *map(str, EXAMPLES)]) == 1
    out = capsys.readouterr().out
    assert str(EXAMPLES[0]) not in out
    assert out.rstrip().endswith(f"; {len(EXAMPLES)} not run (--fail-fast)")


def test_an_unreachable_server_exits_3(capsys):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["run", str(EXAMPLES[0]), "--base-url", f"http://127.0.0.1:{port}",
                 "--token", "t0ken-never-shown"]) == 3
    captured = capsys.readouterr()
    assert "t0ken-never-shown" not in captured.out + captured.err


def test_a_refused_token_exits_3(sandbox, capsys):
    assert main(["run", str(EXAMPLES[0]), "--base-url", sandbox.base_url,
                 "--token", "not-a-real-token"]) == 3
    assert "not-a-real-token" not in capsys.readouterr().out


def test_ctrl_c_exits_130():
    process = subprocess.Popen(
        [sys.executable, "-c",
         "import signal, threading, os, sys\n"
         "from tui_app.cli import main\n"
         "threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
         f"sys.exit(main(['run', '--jobs', '1', *{[str(CHECKED)] * 200!r}]))\n"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err


def test_all_examples_with_jobs_and_every_report(tmp_path, capsys):
    xmlschema = pytest.importorskip("xmlschema")
    paths = {kind: tmp_path / f"report.{kind}" for kind in ("xml", "tap", "json", "html")}
    files = [str(p) for p in [*EXAMPLES, *SUITE]]
    assert main(["run", "--jobs", "4", *files, "--junit", str(paths["xml"]),
                 "--tap", str(paths["tap"]), "--json-report", str(paths["json"]),
                 "--html", str(paths["html"])]) == 0
    capsys.readouterr()
    cases = len(EXAMPLES) + sum(len(load_scenario(p).data or [None]) for p in SUITE)
    steps = sum(len(load_scenario(p).steps) * len(load_scenario(p).data or [None])
                for p in [*EXAMPLES, *SUITE])

    xmlschema.XMLSchema(str(XSD)).validate(str(paths["xml"]))
    root = ET.parse(paths["xml"]).getroot()  # noqa: S314 - our own report
    assert len(root.findall("testsuite")) == cases and root.get("tests") == str(steps)

    tap = paths["tap"].read_text("utf-8").splitlines()
    assert tap[:2] == ["TAP version 14", f"1..{cases}"]
    assert sum(line.startswith("ok ") for line in tap) == cases

    document = json.loads(paths["json"].read_text("utf-8"))
    assert document["passed"] and len(document["scenarios"]) == cases
    first = document["scenarios"][0]["steps"][0]["exchange"]
    assert first["request"]["method"] == "POST" and first["reply"]["status"] == 200
    auth = dict(first["request"]["headers"])["authorization"]
    assert auth == "Bearer ***"

    html = paths["html"].read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "http://" not in html.replace(
        'http://127.0.0.1', '').split("<details>")[0]
    assert "<link" not in html and "src=" not in html
    assert f"{cases} scenarios, {steps} steps: all passed" in html
    assert "Priced in the local currency [country=DE currency=EUR" in html
    assert html.count("<details>") == steps


def test_failures_in_every_report(tmp_path, capsys):
    xmlschema = pytest.importorskip("xmlschema")
    failing = write(tmp_path, "f.toml", CHECKED.read_text("utf-8").replace(
        "count = 1", "count = 9"))
    paths = {kind: tmp_path / f"report.{kind}" for kind in ("xml", "tap", "json", "html")}
    assert main(["run", str(failing), str(EXAMPLES[0]), "--junit", str(paths["xml"]),
                 "--tap", str(paths["tap"]), "--json-report", str(paths["json"]),
                 "--html", str(paths["html"])]) == 1
    capsys.readouterr()
    xmlschema.XMLSchema(str(XSD)).validate(str(paths["xml"]))
    failure = ET.parse(paths["xml"]).getroot().find("testsuite/testcase/failure")  # noqa: S314
    assert failure.get("message") == "check $.order.orderItems: expected 9, got 1"
    tap = paths["tap"].read_text("utf-8")
    assert "    not ok 1 - 1/3 initiate create" in tap and "severity: fail" in tap
    assert "not ok 1 - Quantity change, checked field by field" in tap
    record = json.loads(paths["json"].read_text("utf-8"))["scenarios"][0]["steps"][0]
    assert record["failures"][0]["expected"] == "9" and record["failures"][0]["line"]
    html = paths["html"].read_text("utf-8")
    assert "expected <code>9</code>, got <code>1</code>" in html
