"""Figures 1 and 5: the real app launched in a pseudo-terminal.

1. Time to first interactive screen: from launch until the nav bar is on the
   screen ("f3 Offers"), then F1 is sent and the clock stops when the help
   dialog is on the screen ("Help —"). The reference app is launched the same
   way and timed on the same two events.
5. Peak RSS (VmHWM) with a 500-item basket on screen: the basket is made
   beforehand on the sandbox database the app's embedded sandbox will open,
   and saved in the session, so the app offers to resume it; Enter, then the
   basket screen shows "500 items" and VmHWM is read.

Runs alternate app and reference so that drift (a busy machine, a cold disk
cache) hits both alike; one warm-up launch of each is not counted.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.reference_app import HELP_TEXT, READY_TEXT, write_reference_app
from benchmarks.stats import NONE, RATIO, Row
from benchmarks.terminal import ENTER, F1, PtyApp

NAV_TEXT = "f3 Offers"
APP_HELP_TEXT = "Help —"
RESUME_TEXT = "Resume the basket you were on?"
WAIT = 30.0  # seconds any single screen may take before the run is given up


@dataclass
class Launch:
    painted: float  # seconds from launch to the first screen
    interactive: float  # ... to the reply to the first key
    peak_rss: int | None  # bytes


def app_argv() -> list[str]:
    return [sys.executable, "-m", "tui_app"]


def base_env(config_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Keep the developer's own config and data out of it.
    env["BASKET_BUILDER_CONFIG_DIR"] = str(config_dir)
    env["XDG_CONFIG_HOME"] = str(config_dir / "xdg-config")
    env["XDG_DATA_HOME"] = str(config_dir / "xdg-data")
    env.pop("TEXTUAL", None)  # no devtools, no debug
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def launch_once(argv: list[str], config_dir: Path, ready: str, help_text: str) -> Launch:
    with PtyApp(argv, base_env(config_dir)) as term:
        painted = term.wait_for(ready, WAIT) - term.started
        term.send(F1)
        interactive = term.wait_for(help_text, WAIT) - term.started
        return Launch(painted, interactive, term.peak_rss())


def launch_app(work: Path) -> Launch:
    config = Path(tempfile.mkdtemp(prefix="config-", dir=work))
    return launch_once(app_argv(), config, NAV_TEXT, APP_HELP_TEXT)


def launch_reference(work: Path, script: Path) -> Launch:
    config = Path(tempfile.mkdtemp(prefix="config-", dir=work))
    return launch_once([sys.executable, str(script)], config, READY_TEXT, HELP_TEXT)


def measure_startup(repeat: int) -> list[Row]:
    painted = Row("first screen painted", unit="s", budget=NONE,
                  note="launch → nav bar on screen; the reference: launch → its text on screen")
    interactive = Row("first interactive screen", unit="s", budget=RATIO, limit=2.0,
                      note="launch → first screen drawn, F1 sent → help dialog on screen")
    memory = Row("peak RSS at start (no basket)", unit="MiB", budget=NONE,
                 note="VmHWM after the help dialog showed, app vs reference")
    rows = [painted, interactive, memory]
    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp:
        work = Path(tmp)
        script = write_reference_app(work)
        try:
            launch_app(work)  # warm-up: byte-code and disk caches
            launch_reference(work, script)
            for _ in range(repeat):
                app = launch_app(work)
                ref = launch_reference(work, script)
                painted.samples.append(app.painted)
                painted.reference.append(ref.painted)
                interactive.samples.append(app.interactive)
                interactive.reference.append(ref.interactive)
                if app.peak_rss and ref.peak_rss:
                    memory.samples.append(app.peak_rss)
                    memory.reference.append(ref.peak_rss)
        except Exception as exc:  # reported in the table, never fatal
            reason = _reason(exc)
            for row in rows:
                row.error = row.error or reason
    return rows


# --------------------------------------------------------------------------- memory


def prepare_basket_config(config: Path, items: int) -> str:
    """A config dir whose session holds an ``items``-line basket that lives in
    the sandbox database the app's embedded sandbox opens; returns its id."""
    return asyncio.run(_prepare(config, items))


async def _prepare(config: Path, items: int) -> str:
    from benchmarks.baskets import initiate_body
    from tui_app.sandbox import SandboxServer
    from tui_app.services.connection import SANDBOX_PROFILE_NAME, EmbeddedSandbox
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.store.profiles import ProfileStore
    from tui_app.services.store.session import SessionStore
    from tui_app.services.workspace import Workspace

    paths = AppPaths.resolve(config)
    paths.ensure()
    server = SandboxServer(db_path=paths.sandbox_db).start()
    try:
        profiles, session = ProfileStore(paths), SessionStore(paths)
        profiles.load()
        session.load()
        workspace = Workspace(profiles, session)
        org = server.orgs[0]
        workspace.attach_sandbox(EmbeddedSandbox(
            base_url=server.base_url, client_id=org.client_id,
            client_secret=org.client_secret, stop=lambda: None,
        ))
        await workspace.activate(SANDBOX_PROFILE_NAME)
        await workspace.load_catalogue()
        body = initiate_body(workspace.offers, items, source="benchmark")
        result = await workspace.initiate(body)
        await workspace.aclose()
        assert len(result.data.order.orderItems) == items
        return result.data.id
    finally:
        server.stop()


def basket_on_screen(items: int):
    wanted = f"{items} items"

    def test(screen: str) -> bool:
        return wanted in screen and "Basket basket-" in screen

    return test


def measure_memory(repeat: int, items: int = 500) -> list[Row]:
    row = Row(f"peak RSS, {items}-item basket on screen", unit="MiB", budget=RATIO, limit=2.0,
              note="VmHWM of the real app (pty, resume → basket screen) vs the reference app "
              "after its F1")
    shown = Row(f"launch → {items}-item basket on screen", unit="s", budget=NONE,
                note="launch, resume dialog, Enter, basket screen shows the items")
    sandbox = Row("peak RSS of the embedded sandbox process", unit="MiB", budget=NONE,
                  note="VmHWM of the app's sandbox child at the same moment; it is not the "
                  "app (a tenant profile has none), so it is beside the budget, not in it")
    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp:
        work = Path(tmp)
        script = write_reference_app(work)
        try:
            template = work / "basket-config"
            prepare_basket_config(template, items)
            for _ in range(repeat):
                config = Path(tempfile.mkdtemp(prefix="config-", dir=work)) / "c"
                shutil.copytree(template, config)
                with PtyApp(app_argv(), base_env(config)) as term:
                    term.wait_for(RESUME_TEXT, WAIT)
                    term.send(ENTER)
                    term.wait_for(basket_on_screen(items), WAIT)
                    shown.samples.append(time.perf_counter() - term.started)
                    time.sleep(0.3)  # let the last repaint finish before reading the peak
                    peak = term.peak_rss()
                    child = term.children_peak_rss()
                ref = launch_reference(work, script)
                if peak and ref.peak_rss:
                    row.samples.append(peak)
                    row.reference.append(ref.peak_rss)
                if child and ref.peak_rss:
                    sandbox.samples.append(child)
                    sandbox.reference.append(ref.peak_rss)
        except Exception as exc:
            row.error = shown.error = sandbox.error = _reason(exc)
    return [row, shown, sandbox]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
