"""One user's file never stalls the server for everyone: isolation, memory, requests.

- A hostile chart package (a template that never finishes) gets the time-limit message in its
  own session, while a second session completes an ordinary analysis and the health check
  keeps answering within a second. Run in-process, the render would never end and no message
  would ever come: the test fails.
- The server process's memory goes back down after sessions with 4 MiB files close.
- The page makes no request to any other origin (fonts, icons, anything).
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from migrator.chart import packages
from tests.samples import relabelled_package
from webui import analysis

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "examples" / "values-0.17-era.yaml"
ERA24 = ROOT / "examples" / "values-0.24-era.yaml"
TIMEOUT_S = 5  # ADAPTIVE_ANALYSIS_TIMEOUT of the limited server (conftest.LIMITED_TIMEOUT_S)
HANG = (
    "{{- range $i := until 100000 }}{{- range $j := until 100000 }}{{- end }}{{- end }}\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never\n"
)

pytestmark = pytest.mark.browser


# A version no shipped package has: one patch above the newest.
_NEWEST = packages.newest_version().split(".")
HOSTILE_PACKAGE_VERSION = ".".join([*_NEWEST[:2], str(int(_NEWEST[2]) + 1)])


def hostile_package() -> bytes:
    """The newest package relabelled, with one template that never finishes."""
    return relabelled_package(HOSTILE_PACKAGE_VERSION, HANG, "never-ends.yaml")


def payload(name: str, data: bytes, mime: str = "application/x-yaml") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


class HealthProbe:
    """GET /_stcore/health every 200 ms on a thread; every answer's status and latency kept."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/_stcore/health"
        self.answers: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=1.0) as resp:
                    status: int | str = resp.status
            except OSError as exc:
                status = f"{type(exc).__name__}: {exc}"
            self.answers.append((time.perf_counter() - start, status))
            self._stop.wait(0.2)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_a_hostile_chart_costs_one_session_and_never_the_server(session_on, limited_server, capsys):
    hostile, ordinary = session_on(limited_server.url), session_on(limited_server.url)
    hostile.open()
    ordinary.open()
    # Warm: one ordinary analysis, so that the figures below are not a cold start's.
    ordinary.upload(str(ERA24))
    ordinary.page.locator(".st-key-up_done").wait_for(timeout=60_000)
    ordinary.idle()
    hostile.page.get_by_text("Upgrade to a chart package of your own").click()
    hostile.upload(
        payload(f"adaptive-{HOSTILE_PACKAGE_VERSION}.tgz", hostile_package(), "application/gzip"),
        key="up_chart",
    )
    hostile.page.get_by_text(f"Target: chart {HOSTILE_PACKAGE_VERSION}").wait_for(timeout=60_000)
    hostile.idle()
    with HealthProbe(limited_server.url) as probe:
        started = time.perf_counter()
        hostile.upload(str(LEGACY))
        hostile.page.get_by_text("Analysing:", exact=False).first.wait_for(timeout=10_000)
        # Meanwhile, another user analyses an ordinary file.
        ordinary.upload(str(LEGACY))
        ordinary.page.locator(".st-key-up_done").wait_for(timeout=30_000)
        ordinary_done = time.perf_counter() - started
        hostile.page.get_by_text("The analysis was stopped").wait_for(timeout=60_000)
        hostile_done = time.perf_counter() - started
        hostile.idle()
        time.sleep(1)  # a few more answers after the worker was killed and replaced
    text = hostile.page.locator('[data-testid="stMain"]').inner_text()
    assert f"longer than {TIMEOUT_S} s" in text and "Traceback" not in text
    assert hostile.page.locator(".st-key-up_done").count() == 0
    latencies = [lat for lat, _ in probe.answers]
    bad = [(lat, status) for lat, status in probe.answers if status != 200 or lat >= 1.0]
    with capsys.disabled():
        print(
            f"\n[isolation] hostile chart stopped after {hostile_done:.1f} s (limit {TIMEOUT_S} s); "
            f"ordinary analysis meanwhile done in {ordinary_done:.1f} s; health checks: "
            f"{len(latencies)}, max {max(latencies) * 1000:.0f} ms, "
            f"median {statistics.median(latencies) * 1000:.0f} ms"
        )
    assert len(probe.answers) >= TIMEOUT_S * 3
    assert bad == [], bad
    assert ordinary_done < hostile_done, "the ordinary session waited for the hostile one"
    assert hostile_done >= TIMEOUT_S
    # The server still serves that session: the next ordinary analysis works.
    hostile.page.locator('.st-key-up_chart [data-testid="stFileChipDeleteBtn"] button').click()
    hostile.idle()
    hostile.upload(str(ERA24))
    hostile.page.locator(".st-key-up_done").wait_for(timeout=60_000)
    # And Helm never ran in the server process itself.
    assert "libhelm" not in limited_server.maps()


def big_values(size: int = 4 * 1024 * 1024) -> bytes:
    """A 4 MiB values file: our legacy example and a long history of comments."""
    base = LEGACY.read_bytes()
    pad = b"".join(
        b"# note %06d: an operator's comment about this release and its history\n" % i for i in range(70000)
    )
    data = base + pad[: size - len(base)]
    return data[: data.rfind(b"\n") + 1]


def _settled_rss(server, seconds: float = 3.0) -> int:
    """The server's resident size, the lowest of a few readings over `seconds`."""
    readings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readings.append(server.rss())
        time.sleep(0.25)
    return min(readings)


# What the server may still hold of what the sessions took, once they closed. Measured over seven runs
# of this test on a shared 2-core machine: 4%, 11%, 17%, 28%, 29%, 29% and 37% (glibc's and Python's
# allocators keep fragments of it, however it is trimmed); sessions that kept their files would hold
# all of it. 30% made the test fail one run in seven.
HELD_AT_MOST = 0.5


def test_memory_goes_back_down_after_sessions_close(session_on, server_factory, capsys):
    ttl = 2  # seconds a closed session is kept for a reconnect (server.disconnectedSessionTTL)
    server = server_factory(args=("--server.disconnectedSessionTTL", str(ttl)))
    data = big_values()
    mib = 1024 * 1024

    def run_sessions(count: int) -> int:
        """`count` sessions analyse the file at once; the RSS while they are open."""
        sessions = [session_on(server.url) for _ in range(count)]
        for s in sessions:
            s.open()
            s.upload(payload("big.yaml", data))
        for s in sessions:
            s.page.locator(".st-key-up_done").wait_for(timeout=120_000)
            s.idle(timeout=60)
        rss = _settled_rss(server, 1.0)
        for s in sessions:
            s.close()
        time.sleep(ttl + 1)
        _poke(session_on, server.url)  # a session's disconnect makes the server drop the expired ones
        return rss

    # The baseline is a server that has served such a file once already (its imports, its caches and
    # the allocator's high-water mark): what must come back is what the sessions themselves held.
    run_sessions(4)
    time.sleep(analysis.HOUSEKEEPING_SECONDS + 1)
    before = _settled_rss(server)
    during = run_sessions(4)
    after = during
    deadline = time.monotonic() + 2 * analysis.HOUSEKEEPING_SECONDS + 5
    while time.monotonic() < deadline:
        after = _settled_rss(server, 2.0)
        if after - before < (during - before) * HELD_AT_MOST:
            break
    with capsys.disabled():
        print(
            f"\n[memory] server RSS before {before / mib:.0f} MiB, during 4 sessions with "
            f"{len(data) / mib:.1f} MiB files {during / mib:.0f} MiB, "
            f"after they closed {after / mib:.0f} MiB "
            f"({(after - before) / max(during - before, 1):.0%} of what they took is still held)"
        )
    assert during - before > 100 * mib, "the sessions did not hold their files: the test measures nothing"
    # Well below what they took: what is still held is the allocator's fragments, not the sessions'
    # files (which would keep it near 100%).
    assert after - before < (during - before) * HELD_AT_MOST


def _poke(session_on, url: str) -> None:
    s = session_on(url)
    s.open()
    s.close()
    time.sleep(1)


def test_no_request_leaves_for_another_origin(session_on, app_url):
    s = session_on(app_url)
    requests: list[str] = []
    s.page.on("request", lambda r: requests.append(r.url))
    s.open()
    s.upload(str(LEGACY))
    s.page.locator(".st-key-up_done").wait_for()
    s.idle()
    for path, ready in (("triage", "Triage customers' values files"), ("changes", "Breaking changes")):
        s.page.goto(f"{app_url}/{path}")
        s.page.get_by_role("heading", name=ready).first.wait_for()
        s.idle()
    s.page.wait_for_timeout(1000)
    origin = app_url.rstrip("/")
    foreign = sorted(
        {
            u
            for u in requests
            if not (u.startswith(origin + "/") or u == origin) and not u.startswith(("data:", "blob:"))
        }
    )
    assert requests, "no request recorded"
    assert foreign == []
