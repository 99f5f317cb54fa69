"""Analyses for the pages: one process-wide worker pool, and each session's own results.

Isolation. Every job that reads a user's file (the analysis and the Helm renders inside
it, the masking, the diff) runs in a worker process of one `migrator.worker.WorkerPool`,
never in the server: the server process does not even import Helm's native library. A
job is bounded in time (ADAPTIVE_ANALYSIS_TIMEOUT, default 20 s) and memory
(ADAPTIVE_ANALYSIS_MEMORY_MB); past either the worker is killed and replaced, and that
one user reads one message, while every other session goes on. The page's own thread
only waits on a pipe meanwhile (no CPU, no GIL).

The pool is one per server process (`st.cache_resource`; it holds no user data), with
ADAPTIVE_WORKERS workers (default 2), warmed when the server starts.

Results. An analysis holds the user's file, secrets included. `st.cache_data` is shared
by every session of the process, so results are NOT kept there: each session keeps a small
LRU of its own in `st.session_state` (`session_memo`), bounded in entries and in bytes.
Reruns (toggles, expanders, switching pages and back) reuse it; nothing is shared.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from migrator.errors import InputError, located
from migrator.report.model import Report
from migrator.worker import (
    Limits,
    WorkerBusy,
    WorkerCrashed,
    WorkerError,
    WorkerMemoryExceeded,
    WorkerPool,
    WorkerTimeout,
)
from webui import files

log = logging.getLogger(__name__)

T = TypeVar("T")
SESSION_CACHE_KEY = "_analyses"
SESSION_CACHE_ENTRIES = 8
SESSION_CACHE_BYTES = 64 * files.MIB  # the texts a session's memo may hold, all stores together
UPLOADS_KEY = "_upload_bytes"
DEFAULT_WORKERS = 2


# ---------------------------------------------------------------------------
# failures


@dataclass(frozen=True)
class Failure:
    """Why there is no report: the file cannot be read, a limit was hit, or an internal error.

    `kind`: "input" (InputError: line, column, key, snippet), "chart" (the chart package),
    "limit" (time or memory: the worker was stopped), "busy", "crash", "internal".
    """

    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None
    snippet: str | None = None
    kind: str = "input"

    @classmethod
    def from_input_error(cls, err: InputError, kind: str = "input") -> Failure:
        return cls(err.message, err.line, err.column, err.key, err.snippet, kind=kind)

    @property
    def internal(self) -> bool:
        return self.kind in ("internal", "crash")

    @property
    def lasting(self) -> bool:
        """The same input fails the same way again: worth remembering for this session."""
        return self.kind in ("input", "chart", "limit")

    def one_line(self) -> str:
        return located(self.message, self.line, self.column, self.key)


INTERNAL = (
    "The assistant failed on this input (an internal error, not a problem in your file). "
    "Please report it with the file, secrets removed."
)


# ---------------------------------------------------------------------------
# the pool


def worker_count() -> int:
    try:
        return max(1, int(os.environ.get("ADAPTIVE_WORKERS", DEFAULT_WORKERS)))
    except ValueError:
        return DEFAULT_WORKERS


@st.cache_resource(show_spinner=False)
def pool() -> WorkerPool:
    """The server's one worker pool (no user data in it), warmed in the background at start:
    each worker runs our own example once, so that a first upload does not pay for imports."""
    workers = WorkerPool(worker_count(), Limits.from_env())

    def warm() -> None:
        try:  # a cold start on a busy machine may take longer than one analysis may
            workers.run("webui.jobs:warm_up", timeout=max(120.0, workers.limits.timeout))
        except Exception as exc:  # a warm-up must never break anything; the next call starts a worker
            log.warning("worker warm-up failed: %s", exc)

    for i in range(workers.size):
        threading.Thread(target=warm, name=f"worker-warm-up-{i}", daemon=True).start()
    return workers


HOUSEKEEPING_SECONDS = 15.0


@st.cache_resource(show_spinner=False)
def housekeeping() -> threading.Thread:
    """Once per server process: give memory back to the system after sessions end.

    A closed session's results become garbage once Streamlit drops the session
    (server.disconnectedSessionTTL after its browser left); they are held in reference
    cycles, and glibc keeps freed memory in its arenas. Every HOUSEKEEPING_SECONDS a full
    collection and `malloc_trim(0)` return it (a few milliseconds). Holds no user data.
    """
    import ctypes
    import ctypes.util
    import gc

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: collecting is all we can do
        trim = None

    def loop() -> None:
        while True:
            time.sleep(HOUSEKEEPING_SECONDS)
            gc.collect()
            if trim is not None:
                trim(0)

    thread = threading.Thread(target=loop, name="memory-housekeeping", daemon=True)
    thread.start()
    return thread


def run_job(job: str, *args: Any, **kwargs: Any) -> Any:
    """`webui.jobs.<job>(*args, **kwargs)` in a worker: its result, or a Failure to show."""
    try:
        return pool().run(f"webui.jobs:{job}", *args, **kwargs)
    except InputError as err:
        return Failure.from_input_error(err, kind="chart" if job == "chart_version" else "input")
    except (WorkerTimeout, WorkerMemoryExceeded) as err:
        return Failure(str(err), kind="limit")
    except WorkerBusy as err:
        return Failure(str(err), kind="busy")
    except (WorkerCrashed, WorkerError) as err:
        log.warning("worker failed on %s: %s", job, err)
        return Failure(str(err), kind="crash")
    except Exception:  # never a traceback on screen; the log has it
        log.exception("job %s failed", job)
        return Failure(INTERNAL, kind="internal")


# ---------------------------------------------------------------------------
# per-session memo


def _weight(value: Any) -> int:
    """Roughly how many bytes of text a memo entry holds (what bounds a session's memory)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, Report):
        # Each text with its masked copy (the report's views).
        return 2 * len(value.original_yaml) + 2 * len(value.migrated_yaml or "")
    if isinstance(value, tuple | list):
        return sum(_weight(v) for v in value)
    if isinstance(value, dict):
        return sum(_weight(v) for v in value.values())
    return 64


def session_memo(
    store: str, key: str, compute: Callable[[], T], *, entries: int = SESSION_CACHE_ENTRIES
) -> T:
    """`compute()` once per key in this browser session (a small LRU in st.session_state).

    Each store keeps at most `entries` values, and all stores of the session together at most
    SESSION_CACHE_BYTES of text (the oldest go first). Failures that would fail again (a bad
    file, a time limit) are kept; a busy server or a crash is not, so a rerun tries again.
    """
    cache: OrderedDict[str, tuple[Any, int]] = st.session_state.setdefault(store, OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key][0]
    value = compute()
    if isinstance(value, Failure) and not value.lasting:
        return value
    cache[key] = (value, _weight(value))
    while len(cache) > entries:
        cache.popitem(last=False)
    _trim_sessions_memos(keep=store)
    return value


def memo_values(store: str = SESSION_CACHE_KEY) -> list[Any]:
    """The values a store of this session holds, oldest first (for tests and the triage page)."""
    return [v for v, _ in st.session_state.get(store, OrderedDict()).values()]


def _trim_sessions_memos(keep: str) -> None:
    stores = [
        (name, value)
        for name, value in st.session_state.items()
        if isinstance(name, str) and name.startswith("_") and isinstance(value, OrderedDict)
    ]
    total = sum(w for _, cache in stores for _, w in cache.values())
    # The other stores give way first, then the oldest entries of this one (never the newest).
    for name, cache in sorted(stores, key=lambda s: s[0] == keep):
        while total > SESSION_CACHE_BYTES and len(cache) > (1 if name == keep else 0):
            _, (_, weight) = cache.popitem(last=False)
            total -= weight


def input_key(data: bytes, **options: Any) -> str:
    h = hashlib.sha256(data)
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h.hexdigest()


def report_key(report: Report, *extra: str) -> str:
    """A key for what is derived from one report: its texts and where it was analysed for."""
    h = hashlib.sha256()
    for part in (
        report.original_yaml,
        report.migrated_yaml or "",
        report.target,
        report.release,
        report.namespace,
        report.source_version or "",
        *extra,
    ):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------
# the jobs the pages ask for


def analyze_cached(
    data: bytes,
    *,
    name: str,
    target: str | None,
    release: str,
    namespace: str,
    options: tuple[str, ...] = (),
    from_version: str | None = None,
    chart: bytes | None = None,
    chart_name: str = "chart.tgz",
    store: str = SESSION_CACHE_KEY,
    entries: int = SESSION_CACHE_ENTRIES,
    diff_titles: tuple[str, str] | None = None,
) -> Report | Failure:
    """The engine's analysis of `data`, in a worker, remembered in this session only.

    With `diff_titles` the worker makes the masked diff in the same call, and it is remembered
    for `diff_cached` (one round trip for the page's first view instead of two).
    """
    if len(data) > files.MAX_VALUES_BYTES:
        return Failure(files.too_big_message(len(data)))
    kwargs = {
        "name": name,
        "target": target,
        "from_version": from_version,
        "release": release or "adaptive",
        "namespace": namespace or "default",
        "options": tuple(options),
        "chart_name": chart_name,
    }
    key = input_key(data, chart=hashlib.sha256(chart).hexdigest() if chart else None, **kwargs)
    if diff_titles is None:
        return session_memo(
            store, key, lambda: run_job("analyze", data, chart=chart, **kwargs), entries=entries
        )

    def compute() -> Report | Failure:
        left, right = diff_titles
        result = run_job("analyze_page", data, chart=chart, left_title=left, right_title=right, **kwargs)
        if isinstance(result, Failure):
            return result
        report, diff = result
        if diff is not None:
            session_memo("_diff_html", report_key(report, name, left, right, "False"), lambda: diff)
        return report

    return session_memo(store, key, compute, entries=entries)


def analyze_many(
    items: list[tuple[str, bytes, dict[str, Any]]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Report | Failure], int]:
    """Several analyses at once, as many in parallel as the pool has workers.

    `items` are (name, data, options for `analyze_cached`); results keep their order, and come
    with how many were analysed now (the others came from this session's memo).
    The worker calls run on helper threads (which only wait on pipes); the session's memo
    is read and written here, on the page's own thread.
    """
    store, entries = "_triage", 512
    results: list[Report | Failure | None] = [None] * len(items)
    todo: list[tuple[int, str, bytes, dict[str, Any]]] = []
    cache: OrderedDict = st.session_state.setdefault(store, OrderedDict())
    for i, (name, data, opts) in enumerate(items):
        if len(data) > files.MAX_VALUES_BYTES:
            results[i] = Failure(files.too_big_message(len(data)))
            continue
        kwargs = {"name": name, "from_version": None, "chart_name": "chart.tgz", **opts}
        kwargs["options"] = tuple(kwargs.get("options", ()))
        key = input_key(data, chart=None, **kwargs)
        if key in cache:
            results[i] = session_memo(store, key, lambda: None, entries=entries)
        else:
            todo.append((i, key, data, kwargs))
    done = len(items) - len(todo)
    if progress:
        progress(done, len(items))
    if todo:
        with ThreadPoolExecutor(max_workers=pool().size, thread_name_prefix="analysis") as executor:
            futures = [
                (i, key, executor.submit(run_job, "analyze", data, **kwargs)) for i, key, data, kwargs in todo
            ]
            for i, key, future in futures:
                value = future.result()
                results[i] = session_memo(store, key, lambda v=value: v, entries=entries)
                done += 1
                if progress:
                    progress(done, len(items))
    return [r if r is not None else Failure(INTERNAL, kind="internal") for r in results], len(todo)


def chart_version_cached(data: bytes, name: str) -> str | Failure:
    key = input_key(data, name=name)
    return session_memo("_charts", key, lambda: run_job("chart_version", data, name))


def diff_cached(report: Report, name: str, left_title: str, right_title: str, reveal: bool):
    """The side-by-side diff (HTML, counts) of a report, made in a worker, once per session."""
    return session_memo(
        "_diff_html",
        report_key(report, name, left_title, right_title, str(reveal)),
        lambda: run_job(
            "diff_view", report.views, left_title=left_title, right_title=right_title, reveal=reveal
        ),
    )


def structure_cached(report: Report, reveal: bool):
    return session_memo(
        "_structure",
        report_key(report, str(reveal)),
        lambda: run_job("structure_view", report.views, reveal=reveal),
    )


# ---------------------------------------------------------------------------
# upload budgets


def upload_budget(widget_key: str, sizes: Iterable[int]) -> str | None:
    """Record what one uploader holds; the message to show when the session is over its budget."""
    held: dict[str, int] = st.session_state.setdefault(UPLOADS_KEY, {})
    held[widget_key] = sum(sizes)
    for key in [k for k in held if k != widget_key and st.session_state.get(k) in (None, [])]:
        del held[key]  # an uploader that no longer holds anything (or is on another page)
    total = sum(held.values())
    return files.session_too_big_message(total) if total > files.SESSION_MAX_BYTES else None
