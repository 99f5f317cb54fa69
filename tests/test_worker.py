"""Worker processes: an analysis out of the caller's process, bounded in time and memory."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from migrator.engine import analyze
from migrator.errors import InputError
from migrator.worker import Limits, WorkerCrashed, WorkerMemoryExceeded, WorkerPool, WorkerTimeout

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "values-0.17-era.yaml"


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(2, Limits(timeout=60, memory=600 * 1024**2, queue_timeout=60)) as workers:
        yield workers


def test_a_worker_returns_the_same_report(pool: WorkerPool) -> None:
    data = EXAMPLE.read_bytes()
    remote = pool.run("migrator.engine:analyze", data, name="x.yaml")
    local = analyze(data, name="x.yaml")
    assert remote.to_dict() == local.to_dict()
    assert pool.run("tests.worker_targets:pid") != os.getpid()  # really another process


def test_input_errors_cross_back_whole(pool: WorkerPool) -> None:
    with pytest.raises(InputError) as caught:
        pool.run(analyze, b"harmony:\n  group: [\n", name="bad.yaml")
    assert caught.value.line == 3 and caught.value.column is not None


def test_a_hang_costs_one_call_and_the_pool_recovers(pool: WorkerPool) -> None:
    start = time.monotonic()
    with pytest.raises(WorkerTimeout, match="longer than 1 s"):
        pool.run("tests.worker_targets:sleep_forever", timeout=1)
    assert time.monotonic() - start < 3
    assert pool.run(analyze, EXAMPLE.read_bytes()).status == "needs-input"


def test_memory_is_bounded(pool: WorkerPool) -> None:
    with pytest.raises(WorkerMemoryExceeded, match="more than 600 MB"):
        pool.run("tests.worker_targets:allocate", 900)
    assert pool.run(analyze, EXAMPLE.read_bytes()).status == "needs-input"


def test_a_crash_is_reported_and_replaced(pool: WorkerPool) -> None:
    with pytest.raises(WorkerCrashed):
        pool.run("tests.worker_targets:die")
    assert pool.run("tests.worker_targets:pid") > 0


def test_one_slow_call_does_not_hold_up_another(pool: WorkerPool) -> None:
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            pool.run("tests.worker_targets:sleep_forever", timeout=3)
        except WorkerTimeout as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    assert pool.run(analyze, EXAMPLE.read_bytes()).status == "needs-input"
    assert time.monotonic() - start < 2.5  # served by the other worker, not after the slow one
    thread.join()
    assert len(errors) == 1


def _endless_chart(tmp_path: Path) -> bytes:
    """The 0.48.2 package with one more template whose loops never end in a human lifetime."""
    import io
    import tarfile

    from migrator.chart.packages import shipped

    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(shipped("0.48.2").data)) as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
        body = b"{{- range $i := until 100000 }}{{- range $j := until 100000 }}{{- end }}{{- end }}\n"
        info = tarfile.TarInfo("adaptive/templates/endless.yaml")
        info.size = len(body)
        target.addfile(info, io.BytesIO(body))
    return out.getvalue()


def test_a_helm_render_that_never_ends_costs_one_call(pool: WorkerPool, tmp_path: Path) -> None:
    from migrator.chart.packages import package_from_bytes

    chart = package_from_bytes(_endless_chart(tmp_path), "endless.tgz")
    start = time.monotonic()
    with pytest.raises(WorkerTimeout, match="longer than 2 s"):
        pool.run(analyze, EXAMPLE.read_bytes(), name="x.yaml", chart=chart, timeout=2)
    assert time.monotonic() - start < 5
    report = pool.run(analyze, EXAMPLE.read_bytes(), name="x.yaml")  # the pool serves the next one
    assert report.render is not None and report.render.status in ("ok", "needs-input")
