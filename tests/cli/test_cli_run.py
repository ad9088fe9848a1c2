"""`basket-builder run`: verdicts, diffs, JSON lines, JUnit XML, exit statuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tui_app.cli import main
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "examples" / "valid-basket.toml"
BLOCKED = ROOT / "examples" / "blocked-country.toml"


def run(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "tui_app", "run", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
    )


def edited(tmp_path: Path) -> Path:
    """The valid example, with one expected quantity changed."""
    text = VALID.read_text("utf-8")
    wrong = text.replace('{ offer = "Digital Monthly", quantity = 2 }',
                         '{ offer = "Digital Monthly", quantity = 3 }')
    assert wrong != text
    path = tmp_path / "edited.toml"
    path.write_text(wrong, "utf-8")
    return path


def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(VALID.read_text("utf-8").replace('action = "validate"', 'action = "check"'),
                    "utf-8")
    return path


# --------------------------------------------------------------------------- real processes


def test_a_passing_run_exits_0_with_a_line_per_step():
    result = run("examples/valid-basket.toml")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ examples/valid-basket.toml  1/2 initiate create  ")
    assert re.search(r"  \d+(\.\d+)? m?s$", lines[0])  # "42 ms", or "1.5 s" on a slow machine
    assert lines[1].startswith("✓ examples/valid-basket.toml  2/2 validate  ")
    assert lines[2].startswith("✓ 1 scenario, 2 steps: all passed")
    assert result.stderr == ""


def test_a_bad_file_exits_2_with_file_line_and_reason_and_sends_nothing(tmp_path):
    path = broken(tmp_path)
    result = run(str(path), "examples/valid-basket.toml")
    assert result.returncode == 2
    assert result.stdout == ""  # the good file did not run either
    assert result.stderr == (
        f"{path}:41: step 2 (check): action: unknown action 'check': "
        "use initiate, update, validate\n"
    )


def test_ascii_output_where_the_terminal_cannot_show_symbols(tmp_path):
    result = run(str(edited(tmp_path)), PYTHONIOENCODING="ascii")
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        f"FAIL {tmp_path / 'edited.toml'}  1/2 initiate create  "
        + result.stdout.splitlines()[0].rsplit("  ", 1)[1],
        "  FAIL items: expected (-) and got (+):",
    ]
    assert "- Digital Monthlyx3" in result.stdout


# --------------------------------------------------------------------------- in process


def test_an_edited_expectation_fails_with_a_diff_and_exit_1(tmp_path, capsys):
    assert main(["run", str(edited(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "\n  ✗ items: expected (-) and got (+):\n" in out
    assert (
        "\n        Digital Annual×1\n      - Digital Monthly×3\n      + Digital Monthly×2\n"
    ) in out
    assert out.splitlines()[-1].startswith(
        "✗ 1 of 1 scenario failed; 2 steps: 1 passed, 1 failed"
    )


def test_json_prints_one_object_per_step_and_nothing_else(tmp_path, capsys):
    assert main(["run", "--json", str(VALID), str(edited(tmp_path))]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["file"], r["step"], r["verdict"]) for r in records] == [
        (str(VALID), 1, "passed"),
        (str(VALID), 2, "passed"),
        (str(tmp_path / "edited.toml"), 1, "failed"),
        (str(tmp_path / "edited.toml"), 2, "passed"),
    ]
    assert records[2]["failures"] == [{
        "field": "items",
        "expected": ["Digital Monthly×3", "Digital Annual×1", "Print + Digital Bundle×1"],
        "actual": ["Digital Monthly×2", "Digital Annual×1", "Print + Digital Bundle×1"],
    }]
    assert records[0]["status"] == 200 and records[0]["scenario"] == "A valid basket in GB"


def test_junit_is_well_formed_with_the_right_counts(tmp_path, capsys):
    report = tmp_path / "report.xml"
    assert main(["run", "--junit", str(report), str(BLOCKED), str(edited(tmp_path))]) == 1
    root = ET.parse(report).getroot()  # noqa: S314 - our own report
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "0")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("The print bundle is blocked in Germany", "2", "0"),
        ("A valid basket in GB", "2", "1"),
    ]
    failure = suites[1].find("testcase/failure")
    assert failure.get("message") == (
        "items: missing Digital Monthly×3; not expected Digital Monthly×2"
    )
    assert "- Digital Monthly×3" in failure.text
    title = suites[0].get("name")
    assert [c.get("name") for c in suites[0].findall("testcase")] == [
        f"{title} › 1/2 initiate create", f"{title} › 2/2 validate"
    ]
    assert capsys.readouterr().out  # the text report still goes to the terminal


def test_a_base_url_takes_the_token_from_the_environment(sandbox, monkeypatch, capsys):
    token = sandbox.orgs[0].demo_token
    monkeypatch.setenv("LIMIO_TOKEN", token)
    assert main(["run", "--base-url", sandbox.base_url, str(VALID)]) == 0
    monkeypatch.delenv("LIMIO_TOKEN")
    assert main(["run", "--base-url", sandbox.base_url, "--token", token, str(BLOCKED)]) == 0
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err


def test_a_stored_profile_is_used_by_name(tmp_path, sandbox, capsys):
    store = ProfileStore(AppPaths.resolve(tmp_path))
    store.put(Profile(name="QA", base_url=sandbox.base_url, auth=AuthKind.BEARER),
              Secrets(token=sandbox.orgs[0].demo_token))
    store.save()
    assert main(["--config-dir", str(tmp_path), "run", "--profile", "QA", str(VALID)]) == 0
    assert main(["run", "--config-dir", str(tmp_path), "--profile", "nope", str(VALID)]) == 2
    assert "no profile named 'nope' (profiles: QA)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--token", "t"], "--token goes with --base-url"),
        (["--base-url", "http://127.0.0.1:9/api"], "set LIMIO_TOKEN (or give --token)"),
        (["--base-url", "ftp://x", "--token", "t"], "must start with https://"),
        (["--junit", "/no/such/folder/r.xml"], "the folder /no/such/folder does not exist"),
    ],
)
def test_bad_options_exit_2_with_the_reason(args, reason, monkeypatch, capsys):
    monkeypatch.delenv("LIMIO_TOKEN", raising=False)
    assert main(["run", *args, str(VALID)]) == 2
    captured = capsys.readouterr()
    assert reason in captured.err and captured.out == ""


def test_profile_and_base_url_together_are_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run", "--profile", "a", "--base-url", "http://127.0.0.1/api", str(VALID)])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_help_says_how_to_keep_the_token_off_the_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "LIMIO_TOKEN" in capsys.readouterr().out


def test_run_starts_without_httpx_own_command_line_or_any_ui_library():
    # httpx imports click, rich and pygments for its own CLI when they are
    # installed; `run` has no use for them and starts faster without.
    code = (
        "import sys\n"
        "from tui_app.lean_imports import import_httpx\n"
        "import_httpx()\n"
        "import tui_app.services.scenarios.suite, httpx\n"
        "print(sorted(m for m in ('rich', 'click', 'pygments', 'textual', 'httpx._main')"
        " if m in sys.modules), 'httpx._main' in sys.modules, callable(httpx.main))\n"
        "import httpx._main\n"  # still importable afterwards
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False", "True"]
