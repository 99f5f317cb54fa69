"""`make bench`: the engine against a plain ruamel.yaml round-trip, on the same files, in one run.

For each file it times
- the engine: one `analyze()` call, which is check + migrate + preview (read, detect, apply every
  pending change, verify by re-parsing, preview the pools, build the report);
- ruamel.yaml: `YAML()` (the default round-trip mode) loading the file and dumping it to a StringIO,
  the obvious alternative that the engine's surgical editing replaces;
and prints the medians, the ratio, and each one's peak memory (tracemalloc, measured in a separate
run so that tracing does not slow the timings).

Files: the chart's own 0.23.0 defaults from ../shared/corpus, and a ~1 MB legacy values file built
in memory, deterministically: the chart's 0.17.0 defaults (old database URL and harmony keys;
a built-in stand-in when the corpus is absent) padded with many realistic sections.

Targets (issue 2): the engine at least 10x faster than the round-trip on the large file, and under
100 ms for the chart's defaults.

    python bench/bench.py [--repeat N] [--large-repeat N] [--size BYTES] [--target VERSION] [--strict]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ruamel.yaml import YAML  # noqa: E402

from migrator.engine import analyze  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
DEFAULTS_FILE = CORPUS / "adaptive--values-0.23.0.yaml"
LEGACY_BASE_FILE = CORPUS / "adaptive--values-0.17.0.yaml"
RESULTS = REPO / ".bench" / "results.json"

TARGET_RATIO = 10.0
TARGET_DEFAULTS_MS = 100.0

# Used when ../shared/corpus is not there: an old-format (0.17-style) adaptive values file.
LEGACY_STAND_IN = """\
# Default values for adaptive.
secrets:
  # Postgres database connection string
  dbUrl: postgres://username:password@db_address:5432/db_name
  # Secret used to sign cookies
  cookiesSecret: change-me-please-with-64-characters-at-least-0123456789abcdef
  modelRegistryUrl: s3://bucket-name/model_registry
  sharedDirectoryUrl: s3://bucket-name/shared
containerRegistry: registry.example.com   # Add the Adaptive Registry
harmony:
  enabled: true
  image:
    repository: adaptive-repository
    tag: harmony:latest
    pullPolicy: Always

  group: default   # Visible name of the group for this statefulset
  partitionKey: default-statefulset   # Partition name, should be unique across other groups

  replicaCount: 1
  gpusPerReplica: 8
  nodeSelector: {}
  resources:
    limits:
      cpu: 30
      memory: 500Gi
    requests:
      cpu: 30
      memory: 500Gi
  tolerations:
    - key: nvidia.com/gpu
      operator: Exists
      effect: NoSchedule
controlPlane:
  replicas: 1
  image:
    repository: adaptive-repository
    tag: control-plane:latest
"""


# ---------------------------------------------------------------------------
# the large legacy file


def _section(rng: random.Random, index: int) -> str:
    """One realistic top-level section: comments, nested maps, lists, quoting, long lines, a block."""
    name = f"service{index:04d}"
    env = "\n".join(
        f"      - name: {rng.choice(['LOG_LEVEL', 'RUST_LOG', 'OTEL_ENDPOINT', 'FEATURE_FLAGS'])}_{i}\n"
        f'        value: "{rng.choice(["debug", "info", "http://otel:4317", "a,b,c"])}"'
        for i in range(rng.randint(2, 6))
    )
    ports = ", ".join(str(rng.randint(1024, 65535)) for _ in range(rng.randint(1, 4)))
    annotations = "\n".join(
        f"      example.com/annotation-{i}: '{rng.randint(0, 10**6)}'" for i in range(rng.randint(1, 4))
    )
    long_line = " ".join(rng.choice(["lorem", "ipsum", "dolor", "sit", "amet"]) for _ in range(40))
    return f"""
## @section {name}
## {long_line}
{name}:
  # -- Whether to deploy {name}
  enabled: {rng.choice(["true", "false"])}
  replicaCount: {rng.randint(1, 5)}   # how many pods
  image:
    repository: registry.example.com/{name}
    tag: "v{rng.randint(0, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 9)}"
    pullPolicy: IfNotPresent
  # resources:
  #   limits:
  #     cpu: 100m
  resources:
    limits:
      cpu: {rng.randint(1, 16)}
      memory: {rng.randint(1, 64)}Gi
    requests:
      cpu: {rng.randint(100, 900)}m
      memory: {rng.randint(128, 4096)}Mi
  ports: [{ports}]
  podAnnotations:
{annotations}
  extraEnvVars:
{env}
  nodeSelector: {{}}
  tolerations: []
  config: |
    # {name} configuration
    listen = "0.0.0.0:{rng.randint(1024, 65535)}"
    workers = {rng.randint(1, 64)}
  note: ~
"""


def build_large_legacy(size: int) -> bytes:
    """An old-format adaptive values file of about `size` bytes, the same on every run."""
    base = LEGACY_BASE_FILE.read_text(encoding="utf-8") if LEGACY_BASE_FILE.exists() else LEGACY_STAND_IN
    rng = random.Random(20250124)
    parts = [base if base.endswith("\n") else base + "\n"]
    total = len(parts[0])
    index = 0
    while total < size:
        section = _section(rng, index)
        parts.append(section)
        total += len(section)
        index += 1
    return "".join(parts).encode("utf-8")


# ---------------------------------------------------------------------------
# measuring


def engine_run(data: bytes, target: str | None) -> Callable[[], object]:
    def run() -> object:
        report = analyze(data, name="bench", target=target)
        if report.status == "blocked":
            raise SystemExit(f"the engine blocked the benchmark file: {[f.message for f in report.findings]}")
        return report

    return run


def ruamel_run(data: bytes) -> Callable[[], object]:
    text = data.decode("utf-8")

    def run() -> object:
        yaml = YAML()  # the default: round-trip mode
        loaded = yaml.load(text)
        out = io.StringIO()
        yaml.dump(loaded, out)
        return out.getvalue()

    return run


def timings(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def peak_memory(run: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def measure(label: str, data: bytes, repeat: int, target: str | None) -> dict:
    engine, ruamel = engine_run(data, target), ruamel_run(data)
    report = engine()
    engine_times = timings(engine, repeat)
    ruamel_times = timings(ruamel, repeat)
    result = {
        "file": label,
        "bytes": len(data),
        "lines": data.count(b"\n"),
        "status": report.status,
        "target": report.target,
        "applied": [c.id for c in report.changes if c.status == "applied"],
        "repeat": repeat,
        "engine_median_s": statistics.median(engine_times),
        "engine_min_s": min(engine_times),
        "ruamel_median_s": statistics.median(ruamel_times),
        "ruamel_min_s": min(ruamel_times),
        "engine_peak_bytes": peak_memory(engine),
        "ruamel_peak_bytes": peak_memory(ruamel),
    }
    result["ratio"] = result["ruamel_median_s"] / result["engine_median_s"]
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:7.1f} MB"


def print_result(result: dict) -> None:
    print(f"\n{result['file']}: {result['bytes'] / 1024:.0f} KB, {result['lines']} lines")
    applied = ", ".join(result["applied"]) or "-"
    print(f"  engine: {result['status']} to {result['target']}, applied {applied}")
    print(f"  {'':38}{'median':>12}{'min':>13}{'peak memory':>14}")
    print(
        f"  {'engine (check+migrate+preview)':38}{_ms(result['engine_median_s']):>12}"
        f"{_ms(result['engine_min_s']):>13}{_mb(result['engine_peak_bytes']):>14}"
    )
    print(
        f"  {'ruamel.yaml round-trip (load+dump)':38}{_ms(result['ruamel_median_s']):>12}"
        f"{_ms(result['ruamel_min_s']):>13}{_mb(result['ruamel_peak_bytes']):>14}"
    )
    print(
        f"  ratio: the engine is {result['ratio']:.1f}x faster than the round-trip "
        f"({result['repeat']} runs each)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21, help="runs for the chart's defaults (default 21)")
    parser.add_argument("--large-repeat", type=int, default=5, help="runs for the large file (default 5)")
    parser.add_argument("--size", type=int, default=1024 * 1024, help="size of the large file (default 1 MB)")
    parser.add_argument("--target", default=None, help="target chart version (default: the newest known)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)

    results = []
    if DEFAULTS_FILE.exists():
        results.append(measure(DEFAULTS_FILE.name, DEFAULTS_FILE.read_bytes(), args.repeat, args.target))
    else:
        print(f"note: {DEFAULTS_FILE} not found; skipping the chart's defaults")
    large = build_large_legacy(args.size)
    results.append(measure("generated legacy file (~1 MB)", large, args.large_repeat, args.target))
    for result in results:
        print_result(result)

    print("\ntargets:")
    met = True
    if DEFAULTS_FILE.exists():
        defaults_ms = results[0]["engine_median_s"] * 1000
        ok = defaults_ms < TARGET_DEFAULTS_MS
        met &= ok
        verdict = "met" if ok else "NOT met"
        print(f"  chart defaults under {TARGET_DEFAULTS_MS:.0f} ms: {defaults_ms:.1f} ms -> {verdict}")
    ratio = results[-1]["ratio"]
    ok = ratio >= TARGET_RATIO
    met &= ok
    verdict = "met" if ok else "NOT met"
    print(f"  large file >= {TARGET_RATIO:.0f}x faster than the round-trip: {ratio:.1f}x -> {verdict}")

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"results": results, "targets_met": met}, indent=2) + "\n")
    print(f"\n(figures also written to {RESULTS.relative_to(REPO)})")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
