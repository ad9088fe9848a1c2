"""The command line as a user runs it: a real process, real output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tui_app import __version__


def run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "tui_app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def test_version_and_help():
    assert run("--version").stdout.strip() == f"basket-builder {__version__}"
    help_text = run("--help").stdout
    assert "sandbox" in help_text and "--config-dir" in help_text and "--profile" in help_text
    assert "--memory" in run("sandbox", "--help").stdout


def test_bad_options_exit_2_with_a_reason():
    result = run("sandbox", "--port", "http")
    assert result.returncode == 2
    assert "'http' is not a port number" in result.stderr and "Traceback" not in result.stderr
    result = run("sandbox", "--memory", "--db", "x.sqlite3")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_an_unknown_profile_is_refused_before_the_app_opens(tmp_path):
    result = run("--config-dir", str(tmp_path), "--profile", "nope")
    assert result.returncode == 2
    assert "no profile named 'nope'" in result.stderr


def test_a_refused_start_gives_the_garbage_collector_back(tmp_path):
    # The TUI's start pauses it; a start refused before the app runs resumes it.
    import gc

    from tui_app.cli import main

    assert main(["--config-dir", str(tmp_path), "--profile", "nope"]) == 2
    assert gc.isenabled()


def test_config_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = run("--config-dir", str(target))
    assert result.returncode == 2 and "is not a directory" in result.stderr


def test_the_foreground_sandbox_serves_prints_credentials_and_stops_on_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_app", "sandbox", "--memory", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Serving" in line:
                break
        output = "".join(lines)
        base_url = re.search(r"API base URL\s+(\S+)", output).group(1)
        client_id = re.search(r"client_id\s+(\S+)", output).group(1)
        secret = re.search(r"client_secret\s+(\S+)", output).group(1)
        assert base_url.startswith("http://127.0.0.1:")
        token = httpx.post(
            base_url.removesuffix("/api") + "/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": secret},
        ).json()["access_token"]
        offers = httpx.get(f"{base_url}/offers/v2", headers={"Authorization": f"Bearer {token}"})
        assert offers.status_code == 200 and offers.json()["items"]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in rest


def test_a_port_in_use_is_a_one_line_error(sandbox):
    port = sandbox.base_url.rsplit(":", 1)[1].split("/")[0]
    result = run("sandbox", "--memory", "--port", port)
    assert result.returncode == 2
    assert "in use" in result.stderr and "Traceback" not in result.stderr


def test_fault_options_are_checked():
    result = run("sandbox", "--memory", "--fail-rate", "2")
    assert result.returncode == 2 and "not a share between 0 and 1" in result.stderr
    result = run("sandbox", "--memory", "--latency", "soon")
    assert result.returncode == 2 and "MIN[:MAX]" in result.stderr
    result = run("sandbox", "--memory", "--fail-rate", "0.7", "--drop-rate", "0.7")
    assert result.returncode == 2 and "more than 1" in result.stderr


def test_the_command_line_keeps_trio_out_and_still_talks_http(sandbox):
    """httpcore imports trio whenever it is installed; the app never runs on
    it, so `basket-builder` (its main()) keeps it out, and HTTP still works
    on asyncio."""
    script = (
        "import asyncio, sys\n"
        "from tui_app.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import httpx\n"
        "async def get():\n"
        "    async with httpx.AsyncClient() as http:\n"
        f"        return (await http.get({sandbox.base_url + '/offers/v2'!r})).status_code\n"
        "status = asyncio.run(get())\n"
        "print(status, sys.modules['trio'] is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    status, kept_out = done.stdout.splitlines()[-1].split()
    assert status in ("200", "401") and kept_out == "True"


def test_the_process_entry_returns_mains_status_and_skips_the_final_sweep(tmp_path):
    """`basket-builder` and `python -m tui_app` go through entry(): main()'s
    exit status, then the objects are frozen so Python's collections at
    shutdown do not walk them (exit handlers still run)."""
    script = (
        "import atexit, gc, sys\n"
        "from tui_app.cli import entry\n"
        "atexit.register(lambda: print('exit handler ran', flush=True))\n"
        f"sys.argv = ['basket-builder', 'run', {str(tmp_path / 'missing.toml')!r}]\n"
        "code = entry()\n"
        "print('status', code, 'frozen', gc.get_freeze_count() > 0, flush=True)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    as_module = run("run", str(tmp_path / "missing.toml"))
    assert done.returncode == as_module.returncode != 0
    assert f"status {done.returncode} frozen True" in done.stdout
    assert done.stdout.rstrip().endswith("exit handler ran")
    assert "missing.toml" in done.stderr + done.stdout
