"""Worker processes: run an analysis (and the Helm renders inside it) out of the caller's process.

A values file is a stranger's input, and Helm's engine is a native library: either can cost
far more time or memory than a page can wait for, and a native crash or hang must cost one
analysis, never the web server. So the web app runs every analysis here:

- each worker is a fresh interpreter (`python -m migrator.worker`), never a fork: Helm's Go
  runtime does not survive `fork`, and a fresh process inherits none of the server's memory;
- a call is bounded in time (the worker is killed at the deadline) and in memory (the parent
  reads the worker's resident size while it waits and kills it past the limit);
- a worker that died, hung or grew is replaced; one that has served `max_tasks` calls, or
  stays large after a call, is retired, so memory goes back down after big files;
- at most `size` calls run at once; others wait their turn up to `queue_timeout`.

This is the one module of the library that starts processes; the analysis itself stays pure.
The child speaks pickle over two pipes with its parent, which is our own code on both ends.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_POLL_SECONDS = 0.05


class WorkerError(Exception):
    """A call could not complete in a worker; the message is for the user."""


class WorkerTimeout(WorkerError):
    pass


class WorkerMemoryExceeded(WorkerError):
    pass


class WorkerCrashed(WorkerError):
    pass


class WorkerBusy(WorkerError):
    pass


@dataclass(frozen=True)
class Limits:
    timeout: float = 20.0  # seconds per call
    memory: int = 2 * 1024**3  # resident bytes per worker during a call
    retire_above: int = 768 * 1024**2  # a worker this large after a call is replaced
    max_tasks: int = 200  # calls per worker before it is replaced
    queue_timeout: float = 60.0  # how long a call waits for a free worker

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from ADAPTIVE_ANALYSIS_TIMEOUT (s) and ADAPTIVE_ANALYSIS_MEMORY_MB, else defaults."""
        base = cls()
        timeout = _env_float("ADAPTIVE_ANALYSIS_TIMEOUT", base.timeout)
        memory = int(_env_float("ADAPTIVE_ANALYSIS_MEMORY_MB", base.memory / 1024**2) * 1024**2)
        return cls(timeout=timeout, memory=memory, retire_above=min(base.retire_above, memory))


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class _Worker:
    """One child interpreter and its two pipes."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "migrator.worker", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.recv_conn = Connection(from_child_r, writable=False)
        self.tasks = 0

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def rss(self) -> int:
        """Resident bytes of the child (0 when it cannot be read)."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as handle:
                return int(handle.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for conn in (self.send_conn, self.recv_conn):
            with contextlib.suppress(OSError):
                conn.close()


class WorkerPool:
    """At most `size` calls at once, each in a worker process, each bounded by `limits`."""

    def __init__(self, size: int = 2, limits: Limits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or Limits()
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.size)
        self._closed = False

    # -- lifecycle --------------------------------------------------------------
    def warm(self) -> None:
        """Start idle workers up to `size` in the background (the first call then waits less)."""

        def start() -> None:
            while True:
                with self._lock:
                    if self._closed or len(self._idle) >= self.size:
                        return
                worker = _Worker()
                with self._lock:
                    if self._closed:
                        worker.kill()
                        return
                    self._idle.append(worker)

        threading.Thread(target=start, name="worker-warm-up", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------
    def run(
        self, target: str | Callable[..., Any], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ):
        """`target(*args, **kwargs)` in a worker; its result, or its exception re-raised here.

        `target` is a module-level function or its "package.module:function" name. Raises
        WorkerTimeout, WorkerMemoryExceeded, WorkerCrashed or WorkerBusy (messages for users).
        """
        name = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"
        limit = self.limits.timeout if timeout is None else timeout
        if not self._slots.acquire(timeout=self.limits.queue_timeout):
            raise WorkerBusy("The server is busy with other analyses; try again in a minute.")
        try:
            worker = self._take()
            try:
                outcome, payload = self._call(worker, name, args, kwargs, limit)
            except BaseException:
                worker.kill()
                self.warm()  # a replacement, so that the next call does not wait for one
                raise
            self._give_back(worker)
        finally:
            self._slots.release()
        if outcome == "ok":
            return payload
        raise payload

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        worker.tasks += 1
        retire = worker.tasks >= self.limits.max_tasks or worker.rss() > self.limits.retire_above
        with self._lock:
            if not retire and worker.alive and not self._closed:
                self._idle.append(worker)
                return
        worker.kill()
        if not self._closed:
            self.warm()

    def _call(self, worker: _Worker, name: str, args: tuple, kwargs: dict, limit: float) -> tuple[str, Any]:
        try:
            worker.send_conn.send((name, args, kwargs))
        except OSError as exc:
            raise WorkerCrashed(f"The analysis process could not be started ({exc}).") from None
        deadline = time.monotonic() + limit
        while True:
            try:
                ready = worker.recv_conn.poll(_POLL_SECONDS)
            except OSError:
                ready = True
            if ready:
                try:
                    return worker.recv_conn.recv()
                except (EOFError, OSError):
                    raise WorkerCrashed(
                        "The analysis stopped unexpectedly (its process ended); nothing was kept. "
                        "Try again; if it happens again, report it."
                    ) from None
            if not worker.alive:
                raise WorkerCrashed(
                    "The analysis stopped unexpectedly (its process ended); nothing was kept. "
                    "Try again; if it happens again, report it."
                )
            if worker.rss() > self.limits.memory:
                raise WorkerMemoryExceeded(
                    f"The analysis needed more than {self.limits.memory // 1024**2} MB of memory and was "
                    "stopped. A values file never needs that: check that this is the right file."
                )
            if time.monotonic() > deadline:
                raise WorkerTimeout(
                    f"The analysis took longer than {limit:g} s and was stopped. A values file takes well "
                    "under a second: check that this is the right file (and, with a chart of your own, "
                    "that its templates finish)."
                )


# ---------------------------------------------------------------------------
# the child


def _resolve(name: str) -> Callable[..., Any]:
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _serve(read_fd: int, write_fd: int) -> None:
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    while True:
        try:
            name, args, kwargs = inbox.recv()
        except (EOFError, OSError):
            return  # the parent went away
        try:
            result: tuple[str, Any] = ("ok", _resolve(name)(*args, **kwargs))
        except Exception as exc:  # sent back and re-raised in the parent
            result = ("error", exc)
        try:
            outbox.send(result)
        except Exception as exc:  # an unpicklable result or exception: say so instead
            outbox.send(("error", WorkerCrashed(f"internal error: cannot return the result ({exc!r})")))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
