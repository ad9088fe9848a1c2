"""`basket-builder serve` in a real browser: Debian's headless chromium,
driven by Selenium through the system's chromedriver (nothing is downloaded).

The page draws the app on a canvas (xterm.js), so the screen is read from
xterm.js's own buffer: a script given to the browser before the page loads
keeps a reference to the terminal the page creates.

Skips, saying why, where chromium, chromedriver or selenium is missing.
Set BASKET_BUILDER_BROWSER_PNG=screenshots/browser.png to refresh the
README's screenshot from this run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
    pytest.skip(
        f"browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, "
        f"{CHROMEDRIVER}): apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
selenium = pytest.importorskip("selenium", reason="browser tests need selenium (the test extra)")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from tui_app.serve.server import VISITOR_DIR_PREFIX  # noqa: E402

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1280,800",
)
WAIT = 30.0  # seconds for anything the app or the server does

# Keeps the xterm.js Terminal the page makes (assigned as `this.terminal`).
KEEP_TERMINAL = """
window.__terminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "terminal", {
      value, writable: true, configurable: true, enumerable: true });
    if (value && value.buffer && value.buffer.active) window.__terminals.push(value);
  },
});
"""
SCREEN = """
const t = window.__terminals && window.__terminals[0];
if (!t) return null;
const buffer = t.buffer.active, lines = [];
for (let row = 0; row < t.rows; row++) {
  const line = buffer.getLine(buffer.viewportY + row);
  lines.push(line ? line.translateToString(true) : "");
}
return {text: lines.join("\\n"), cols: t.cols, rows: t.rows};
"""


# ------------------------------------------------------------------ the server


class Served:
    """`basket-builder serve` in a subprocess; its output kept line by line."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.visitors_dir = tmp / "visitors"
        self.visitors_dir.mkdir()
        env = {**os.environ, "TMPDIR": str(self.visitors_dir), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui_app", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = wait_for(lambda: next((x for x in self.lines if "http://" in x), None),
                        "the server to start", self.output)
        self.url = line.split("serve: ", 1)[1].strip()
        assert self.url.startswith("http://127.0.0.1:")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def folders(self) -> list[Path]:
        return sorted(self.visitors_dir.glob(f"{VISITOR_DIR_PREFIX}*"))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        served = Served(tmp_path, *args)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    """One chromium for the module (it takes seconds to start); a test that
    needs a clean page opens a tab of its own."""
    tmp_path = tmp_path_factory.mktemp("chromium")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)}")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        driver.set_page_load_timeout(WAIT)
        driver.set_script_timeout(10)
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        keep_terminal(driver)
        yield driver
    finally:
        driver.quit()


# ------------------------------------------------------------------ helpers


def keep_terminal(driver) -> None:
    """Before a page loads in this tab (each new tab needs it again)."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": KEEP_TERMINAL})


def new_tab(driver) -> str:
    driver.switch_to.new_window("tab")
    keep_terminal(driver)
    return driver.current_window_handle


def wait_for(check: Callable[[], object], what: str, detail: Callable[[], str] = str,
             timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (StaleElementReferenceException, NoSuchElementException):
            # The page was replaced between finding and reading, or the next
            # page has no body yet (a form was just submitted): look again.
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{detail()}")
        time.sleep(0.1)


def screen(driver) -> str:
    try:
        found = driver.execute_script(SCREEN)
    except WebDriverException:
        return ""
    return found["text"] if found else ""


def wait_screen(driver, *texts: str, timeout: float = WAIT) -> str:
    return wait_for(lambda: (s := screen(driver)) and all(t in s for t in texts) and s,
                    f"{texts!r} on screen", lambda: screen(driver), timeout)


def press(driver, *keys: str) -> None:
    """Keys as a visitor types them into the page (the terminal has focus)."""
    driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")
    for key in keys:
        actions = ActionChains(driver)
        if key.startswith("ctrl+"):
            actions.key_down(Keys.CONTROL).send_keys(key[5:]).key_up(Keys.CONTROL)
        else:
            actions.send_keys(key)
        actions.perform()
        time.sleep(0.15)


def click_text(driver, text: str, row_from_bottom: int | None = None) -> None:
    """Click the first place where ``text`` is drawn (in a given row if asked)."""
    found = driver.execute_script(SCREEN)
    lines = found["text"].split("\n")
    rows = range(len(lines)) if row_from_bottom is None else [len(lines) - 1 - row_from_bottom]
    row = next(r for r in rows if text in lines[r])
    col = lines[row].index(text) + 1
    area = driver.find_element(By.CSS_SELECTOR, ".xterm-screen")
    cell_w = area.size["width"] / found["cols"]
    cell_h = area.size["height"] / found["rows"]
    x = (col + 0.5) * cell_w - area.size["width"] / 2
    y = (row + 0.5) * cell_h - area.size["height"] / 2
    ActionChains(driver).move_to_element_with_offset(area, int(x), int(y)).click().perform()


def clipboard(driver) -> str:
    return driver.execute_async_script(
        "const done = arguments[0];"
        "navigator.clipboard.readText().then(done, error => done(String(error)));"
    )


def processes_in(folder: Path) -> dict[int, str]:
    """The app and sandbox processes working in a visitor's folder."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
            except (OSError, IndexError):
                continue
            if str(folder) in cmdline and "tui_app" in cmdline and state != "Z":
                found[int(entry.name)] = cmdline
    return found


def app_and_sandbox(folder: Path) -> tuple[int, int]:
    running = wait_for(lambda: len(p := processes_in(folder)) >= 2 and p,
                       f"an app and a sandbox in {folder}", lambda: str(processes_in(folder)))
    app = next(pid for pid, cmd in running.items() if "--served" in cmd)
    sandbox = next(pid for pid, cmd in running.items() if "tui_app.sandbox.child" in cmd)
    return app, sandbox


# ------------------------------------------------------------------ the tests


def test_visitors_build_validate_export_and_leave_in_the_browser(serve, browser):
    server = serve("--max-visitors", "2")
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server.url.rstrip("/"),
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
    })
    browser.get(server.url)
    assert browser.title == "basket-builder — sandbox demo"
    # The first screen: the app, on the sandbox, saying whose it is.
    wait_screen(browser, "SANDBOX", "Digital Monthly", "yours alone")
    _save_screenshot(browser)
    first_folder, = server.folders()
    first_app, first_sandbox = app_and_sandbox(first_folder)

    # README "First run", by keyboard: pick the highlighted offer, initiate, validate.
    press(browser, "ctrl+o")
    wait_screen(browser, "Items to initiate with")
    press(browser, "ctrl+s")
    wait_screen(browser, "1 item", "▸f4 Basket")
    # Copying (OSC 52) lands in the browser's clipboard.
    press(browser, "i")
    copied = wait_for(lambda: (text := clipboard(browser)).startswith("basket-") and text,
                      "the basket id in the clipboard", lambda: clipboard(browser))
    assert copied in screen(browser)
    press(browser, "v")
    wait_screen(browser, "VALID", "▸f5 Validation")

    # F-keys reach the app; the HAR arrives in the browser's downloads.
    press(browser, Keys.F7)
    wait_screen(browser, "▸f7 Inspector")
    press(browser, "e")
    har = wait_for(lambda: [p for p in browser.downloads.glob("*.har")], "the HAR download",
                   lambda: str(list(browser.downloads.iterdir())))[0]
    document = json.loads(har.read_text("utf-8"))
    assert len(document["log"]["entries"]) >= 3  # token, catalogue, initiate, validate...
    assert str(first_folder) not in har.read_text("utf-8")
    # Textual's own screenshot command delivers a download too.
    press(browser, "ctrl+p")
    wait_screen(browser, "Search for commands")
    press(browser, "Screenshot")
    wait_screen(browser, "Save an SVG")
    press(browser, Keys.ENTER)
    svg = wait_for(lambda: [p for p in browser.downloads.glob("*.svg")], "the SVG download",
                   lambda: str(list(browser.downloads.iterdir())))[0]
    assert "<svg" in svg.read_text("utf-8")[:500]
    assert len(browser.window_handles) == 1  # a download, not a pop-up

    # The palette reaches every screen, whatever the browser does with F-keys.
    press(browser, "ctrl+p")
    wait_screen(browser, "Search for commands")
    press(browser, "Go to Basket")
    wait_screen(browser, "Go to Basket")
    press(browser, Keys.ENTER)
    wait_screen(browser, "▸f4 Basket")

    # The mouse: a click on a key in the bottom bar presses it.
    click_text(browser, "Validate", row_from_bottom=0)
    wait_screen(browser, "▸f5 Validation")

    # Resize: the app redraws at the new size.
    cols = browser.execute_script(SCREEN)["cols"]
    browser.set_window_size(1000, 700)
    wait_for(lambda: browser.execute_script(SCREEN)["cols"] < cols, "a narrower terminal")
    wait_screen(browser, "SANDBOX", "VALID")
    browser.set_window_size(1280, 800)

    # Themes: picked in the palette, remembered in the visitor's own folder.
    press(browser, "ctrl+p")
    wait_screen(browser, "Search for commands")
    press(browser, "theme")
    wait_screen(browser, "Change the current theme")
    press(browser, Keys.ENTER)
    press(browser, "basket-light")
    wait_screen(browser, "🔎 basket-light")
    press(browser, Keys.ENTER)
    settings = first_folder / "settings.toml"
    wait_for(lambda: settings.exists() and "basket-light" in settings.read_text("utf-8"),
             "the theme saved in the visitor's folder", lambda: screen(browser))
    press(browser, Keys.F4)
    wait_screen(browser, "Digital Monthly", "▸f4 Basket")

    # A second visitor: an app, a sandbox and a folder of their own; no basket.
    first_tab = browser.current_window_handle
    second_tab = new_tab(browser)
    browser.get(server.url)
    wait_screen(browser, "SANDBOX", "no credentials needed")  # said only while no basket
    second_folder, = (f for f in wait_for(lambda: len(server.folders()) == 2 and server.folders(),
                                          "a second visitor folder", server.output)
                      if f != first_folder)
    second_app, second_sandbox = app_and_sandbox(second_folder)
    assert {second_app, second_sandbox}.isdisjoint({first_app, first_sandbox})
    press(browser, Keys.F4)
    assert "Digital Monthly" not in wait_screen(browser, "▸f4 Basket", "No basket yet")

    # A third is one too many: a clear page, no app started.
    new_tab(browser)
    browser.get(server.url)
    assert "every place is taken" in browser.find_element(By.TAG_NAME, "body").text
    assert len(server.folders()) == 2
    browser.close()

    # The second closes the tab: their app and sandbox end, their folder goes.
    browser.switch_to.window(second_tab)
    browser.close()
    wait_for(lambda: not second_folder.exists() and not processes_in(second_folder),
             "the second visitor's app, sandbox and folder to go",
             lambda: server.output() + str(processes_in(second_folder)))
    assert processes_in(first_folder).keys() == {first_app, first_sandbox}

    # The first visitor carries on, basket and all.
    browser.switch_to.window(first_tab)
    press(browser, Keys.F5)
    wait_screen(browser, "VALID", "▸f5 Validation")

    assert server.stop() == 0
    assert not server.folders() and not processes_in(first_folder)
    assert "visitor 2 left" in server.output()


def test_the_page_asks_for_the_key_and_refuses_a_wrong_one(serve, browser):
    key = "a-key-for-the-browser-test"
    server = serve("--access-key", key)
    new_tab(browser)
    browser.get(server.url)
    assert browser.title == "basket-builder — sandbox demo"
    field = browser.find_element(By.ID, "key")
    field.send_keys("not-the-key")
    browser.find_element(By.ID, "open").click()
    wait_for(lambda: "not right" in browser.find_element(By.TAG_NAME, "body").text,
             "the wrong-key page", lambda: browser.page_source)
    assert not browser.find_elements(By.CSS_SELECTOR, ".xterm-screen")
    assert not server.folders()

    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "open").click()
    wait_screen(browser, "f2 Profiles")  # the app is drawn: the key let the visitor in
    cookie = next(c for c in browser.get_cookies() if c["name"].startswith("basket_builder"))
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert key not in cookie["value"]
    assert browser.execute_script("return document.cookie") == ""
    assert key not in browser.page_source


def _save_screenshot(driver) -> None:
    target = os.environ.get("BASKET_BUILDER_BROWSER_PNG")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        driver.get_screenshot_as_file(str(Path(target)))
