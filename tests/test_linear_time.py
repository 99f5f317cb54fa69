"""Every pass over the user's text runs in time linear in its size.

A values file with one 1 MB value once kept the web server at 100% CPU for
minutes: the URL-credentials regex of the masking backtracked quadratically, and
a long line was rewritten once per masked value on it. The crafted worst cases
of `bench/bench.py` (`worst_cases()`, about 1 MB each) go through every step a
report takes: `analyze()`, `to_json()`, `to_markdown()`, `migrated_yaml_shown()`
and `mask_yaml_text()` of the input. An ordinary 1 MB file takes well under
2 s here; each case must finish within BOUND_S (generous, so that a loaded
machine does not make it flaky; the quadratic code took minutes on several of
them), and the pytest timeout stops a regression from hanging the suite.
"""

from __future__ import annotations

import functools
import importlib.util
import time
from pathlib import Path

import pytest

from migrator.report.secrets import MASK, mask_yaml_text
from migrator.yaml.parse import split_lines

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench.py"
BOUND_S = 15.0
MB = 1024 * 1024


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_for_tests", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
worst_cases = functools.cache(bench.worst_cases)
CASES = sorted(worst_cases(size=4096))


def test_the_cases_are_the_ones_asked_for():
    assert {
        "long-letters",
        "scheme-user-colon",
        "colon-at",
        "http-u-colon",
        "url-keys-block",
        "url-keys-flow",
        "secret-blob",
        "unparseable-spaces",
    } <= set(CASES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", CASES)
def test_each_worst_case_takes_linear_time(name):
    data = worst_cases()[name]
    assert 0.85 * MB <= len(data) <= 1.2 * MB  # about 1 MB, under analyze()'s 5 MiB limit
    start = time.perf_counter()
    seconds = bench.worst_case_run(data)
    elapsed = time.perf_counter() - start
    steps = ", ".join(f"{step} {s:.2f} s" for step, s in seconds.items())
    assert elapsed < BOUND_S, f"{name}: {elapsed:.1f} s ({steps})"


@pytest.mark.parametrize("name", CASES)
def test_the_worst_cases_are_masked_right(name):
    """The same inputs, small: masking keeps the lines and hides what they hold."""
    text = worst_cases(size=64 * 1024)[name].decode("utf-8")
    masked = mask_yaml_text(text)
    assert len(split_lines(masked)) == len(split_lines(text))
    if name.startswith("url-keys"):
        assert "p00017@" not in masked and masked.count(MASK) >= 2000
        assert "http://u:" + MASK + "@h" in masked
    if name == "secret-blob":
        assert masked == f"secrets:\n  blob: {MASK}\n"
    if name == "long-letters":
        assert masked == text
