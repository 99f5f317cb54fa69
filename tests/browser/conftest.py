"""A real `streamlit run app.py` on a free port, and Debian's headless Chromium driven by Playwright.

No browser is downloaded: Playwright launches /usr/bin/chromium (the
Makefile's `chromium` target installs it). The server is started once per
test session and stopped at the end, its log kept for failures.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed on purpose only (UPDATE_SCREENSHOTS=1), so that
# an ordinary test run does not leave changed PNG files in the work tree.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@dataclass
class Server:
    """A running `streamlit run app.py`: where it answers, its process (for its memory), its log."""

    url: str
    pid: int
    log: Path

    def rss(self) -> int:
        """Resident bytes of the server process itself (its worker processes are not counted)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def maps(self) -> str:
        return Path(f"/proc/{self.pid}/maps").read_text()


@contextlib.contextmanager
def streamlit_server(
    log_dir: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[Server]:
    """`streamlit run app.py` on a free port, headless; yields it once healthy, then stops it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                *args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in 60 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield Server(url, proc.pid, log_path)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if "Traceback" in log_path.read_text(errors="replace"):
            print(f"streamlit server log ({log_path}):\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with streamlit_server(tmp_path_factory.mktemp("streamlit")) as server:
        yield server


@pytest.fixture(scope="session")
def app_url(app_server: Server) -> str:
    return app_server.url


@pytest.fixture
def fresh_app_url(tmp_path: Path) -> Iterator[str]:
    """A server of its own, that no other test has visited yet."""
    with streamlit_server(tmp_path) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make chromium` (Debian's package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Session:
    """One browser session (its own context, so its own Streamlit session) with its dialogs recorded."""

    def __init__(self, browser, app_url: str, *, color_scheme: str = "light") -> None:
        self.context = browser.new_context(
            accept_downloads=True, viewport={"width": 1400, "height": 1000}, color_scheme=color_scheme
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.url = app_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []

        def on_dialog(dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def open(self, path: str = "", ready_text: str = "Upgrade your values file") -> None:
        self.page.goto(f"{self.url}/{path}")
        self.page.get_by_role("heading", name=ready_text).wait_for()
        self.idle()

    def idle(self, timeout: float = 30) -> None:
        """Wait until the script run is over (Streamlit's running indicator gone)."""
        self.page.wait_for_timeout(150)
        deadline = time.monotonic() + timeout
        while self.page.locator('[data-testid="stStatusWidget"]').count():
            if time.monotonic() > deadline:
                raise TimeoutError("the app kept running")
            self.page.wait_for_timeout(50)

    def upload(self, files, key: str = "up_file") -> None:
        self.page.locator(f".st-key-{key} input[type=file]").set_input_files(files)

    def download(self, label: str, scope=None) -> tuple[str, bytes]:
        where = scope if scope is not None else self.page
        button = where.locator('[data-testid="stDownloadButton"]', has_text=label).locator("button")
        with self.page.expect_download() as info:
            button.click()
        dl = info.value
        return dl.suggested_filename, Path(dl.path()).read_bytes()

    def screenshot(self, name: str, max_height: int = 1100, anchor=None) -> Path:
        """A screenshot for the README: from `anchor` (scrolled to the top) or the page top.

        Streamlit scrolls inside <main>, so the viewport grows to show up to
        `max_height` pixels of content.
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        wanted = self.page.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return m ? m.scrollHeight : document.body.scrollHeight; }"
        )
        height = max(600, min(max_height, int(wanted)))
        self.page.set_viewport_size({"width": 1400, "height": height})
        self.page.wait_for_timeout(300)
        if anchor is not None:
            anchor.evaluate("e => e.scrollIntoView({block: 'start'})")
            self.page.wait_for_timeout(300)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size({"width": 1400, "height": 1000})
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, app_url):
    s = Session(browser, app_url)
    yield s
    s.close()


@pytest.fixture
def new_session(browser, app_url):
    made: list[Session] = []

    def make(**kwargs) -> Session:
        s = Session(browser, app_url, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def fresh_session(browser, fresh_app_url):
    """A browser session on a server of its own, which nothing has visited before."""
    s = Session(browser, fresh_app_url)
    yield s
    s.close()


# The time limit of the server the isolation test runs against (ADAPTIVE_ANALYSIS_TIMEOUT).
LIMITED_TIMEOUT_S = 5


@pytest.fixture(scope="session")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own whose analyses are stopped after LIMITED_TIMEOUT_S seconds."""
    with streamlit_server(
        tmp_path_factory.mktemp("limited"), env={"ADAPTIVE_ANALYSIS_TIMEOUT": str(LIMITED_TIMEOUT_S)}
    ) as server:
        yield server


@pytest.fixture
def server_factory(tmp_path: Path):
    """Start servers of their own (`make(env=..., args=...)`), stopped after the test."""
    with contextlib.ExitStack() as stack:
        count = 0

        def make(**kwargs) -> Server:
            nonlocal count
            count += 1
            folder = tmp_path / f"server-{count}"
            folder.mkdir()
            return stack.enter_context(streamlit_server(folder, **kwargs))

        yield make


@pytest.fixture
def session_on(browser):
    """Browser sessions on any server's URL (`make(url)`), closed after the test."""
    made: list[Session] = []

    def make(url: str, **kwargs) -> Session:
        s = Session(browser, url, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()
