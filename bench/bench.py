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

CLI process time (issue 11): `python -m migrator check examples/values-current.yaml` within 250 ms
of process time (user + system), median of at least 5 runs, with bytecode as an installation has it
(`PYTHONPYCACHEPREFIX=.bench/pycache`, after a warm-up run); without bytecode for information; and
where the time goes: Python's start, the imports, Helm's library, each chart load and render (the
floor no code of ours can go under), and our own run.

Worst cases (every pass over the user's text is linear): crafted ~1 MB inputs that made the old
masking (a backtracking URL-credentials regex, one rewrite of a long line per masked value) take
minutes, each run through the whole path a report takes: `analyze()`, `to_json()`, `to_markdown()`,
`migrated_yaml_shown()` and `mask_yaml_text()` of the input. Printed as seconds per MB, beside the
same path on the generated legacy file; goal: the same order, under 2 s per MB.
`tests/test_linear_time.py` runs the same cases (`worst_cases()`, `worst_case_run()`).

    python bench/bench.py [--repeat N] [--large-repeat N] [--size BYTES] [--target VERSION] [--strict]
                          [--no-worst] [--cli-only] [--cli-repeat N]
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ruamel.yaml import YAML  # noqa: E402

from migrator.chart.render import clear_render_cache  # noqa: E402
from migrator.engine import analyze  # noqa: E402
from migrator.errors import InputError  # noqa: E402
from migrator.report.markdown import report_markdown  # noqa: E402
from migrator.report.secrets import mask_yaml_text  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
DEFAULTS_FILE = CORPUS / "adaptive--values-0.23.0.yaml"
LEGACY_BASE_FILE = CORPUS / "adaptive--values-0.17.0.yaml"
RESULTS = REPO / ".bench" / "results.json"
PYCACHE = (
    REPO / ".bench" / "pycache"
)  # the CLI's bytecode, as an installation has it (.bench/ is git-ignored)
EMPTY_PYCACHE = REPO / ".bench" / "no-pycache"  # stays empty: runs without bytecode

TARGET_RATIO = 10.0
TARGET_DEFAULTS_MS = 100.0
TARGET_PROOF_MS = 150.0  # render proof + ledger of the chart's 0.23.0 defaults, warm, in-process
TARGET_CLI_MS = 250.0  # process time (user + system) of `python -m migrator check` on a small file
CLI_FILE = REPO / "examples" / "values-current.yaml"
TARGET_WORST_S_PER_MB = 2.0

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
    """One realistic entry of `extraObjects` (a ConfigMap of the user's own): comments, nested maps,
    lists, quoting, long lines, a block scalar."""
    name = f"service{index:04d}"
    env = "\n".join(
        f"          - name: {rng.choice(['LOG_LEVEL', 'RUST_LOG', 'OTEL_ENDPOINT', 'FEATURE_FLAGS'])}_{i}\n"
        f'            value: "{rng.choice(["debug", "info", "http://otel:4317", "a,b,c"])}"'
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
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {name}-settings
      # -- Whether {name} is on
      labels:
        app.kubernetes.io/part-of: {name}
      annotations:
{annotations}
    data:
      enabled: "{rng.choice(["true", "false"])}"
      replicas: "{rng.randint(1, 5)}"   # how many pods
      image: "registry.example.com/{name}:v{rng.randint(0, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 9)}"
      ports: "[{ports}]"
      # resources:
      #   limits:
      #     cpu: 100m
      resources.yaml: |
        limits:
          cpu: {rng.randint(1, 16)}
          memory: {rng.randint(1, 64)}Gi
        requests:
          cpu: {rng.randint(100, 900)}m
          memory: {rng.randint(128, 4096)}Mi
        env:
{env}
      config.toml: |
        # {name} configuration
        listen = "0.0.0.0:{rng.randint(1024, 65535)}"
        workers = {rng.randint(1, 64)}
"""


def build_large_legacy(size: int) -> bytes:
    """An old-format adaptive values file of about `size` bytes, the same on every run: the chart's
    0.17.0 defaults and many objects of the user's own under `extraObjects` (a list the chart renders
    as it is), so that the file stays an `adaptive` values file however large."""
    base = LEGACY_BASE_FILE.read_text(encoding="utf-8") if LEGACY_BASE_FILE.exists() else LEGACY_STAND_IN
    rng = random.Random(20250124)
    head = (
        base if base.endswith("\n") else base + "\n"
    ) + "\n# Objects of our own, rendered by the chart\nextraObjects:\n"
    parts = [head]
    total = len(head)
    index = 0
    while total < size:
        section = _section(rng, index)
        parts.append(section)
        total += len(section)
        index += 1
    return "".join(parts).encode("utf-8")


# ---------------------------------------------------------------------------
# worst cases for the passes over the user's text (masking, reading, markdown)

MB = 1024 * 1024


def worst_cases(size: int = MB) -> dict[str, bytes]:
    """Crafted inputs of about `size` bytes each, the same on every run (name -> file)."""
    rng = random.Random(20250125)
    blob = base64.b64encode(rng.randbytes(size * 3 // 4)).decode()
    keys = 40_000 * size // MB
    cases = {
        # one value: a long run of letters (the old URL regex tried a scheme at every letter)
        "long-letters": "note: " + "a" * size + "\n",
        # `scheme://user:` over and over: every `://` starts a URL whose password never ends
        "scheme-user-colon": 'url: "' + "scheme://user:" * (size // 14) + '"\n',
        # `:@` runs: a password separator and an end of userinfo, over and over
        "colon-at": 'value: "x' + ":@" * (size // 2) + '"\n',
        "http-u-colon": 'url: "' + "http://u:" * (size // 9) + '"\n',
        # 40,000 values with URL credentials to mask, one per line, then all on one flow-style line
        "url-keys-block": "urls:\n" + "".join(f"  k{i:05d}: http://u:p{i:05d}@h\n" for i in range(keys)),
        "url-keys-flow": "urls: {" + ", ".join(f"k{i:05d}: http://u:p{i:05d}@h" for i in range(keys)) + "}\n",
        # one 1 MB base64 blob under a secret key
        "secret-blob": "secrets:\n  blob: " + blob + "\n",
        # a long line that does not parse (the line-by-line fallback): a key that never ends in spaces
        "unparseable-spaces": "x" + " " * size + "y\n  bad: [\n",
        # ... a password holding URL-like text and an unclosed quote, then a bracket that never closes
        "unparseable-quotes": 'password: "' + "http://u:p@h '" * (size // 14) + "\n  bad: [\n",
        # ... a million opening brackets (deeper than any parser allows)
        "unparseable-brackets": "key: " + "[{" * (size // 2) + "\n",
        # the content rules' own worst cases: parameters, embedded JSON, PEM headers, random words
        "equals-runs": 'q: "' + "password=a&" * (size // 22) + "=" * (size // 2) + '"\n',
        "json-escapes": "j: '" + '"a": "\\' * (size // 7) + "'\n",
        "pem-headers": "k: |\n" + "  -----BEGIN PRIVATE KEY-----\n" * (size // 30),
        "random-words": "t: "
        + " ".join(base64.b64encode(rng.randbytes(30)).decode() for _ in range(size // 41))
        + "\n",
    }
    return {name: text.encode("utf-8") for name, text in cases.items()}


def worst_case_run(data: bytes) -> dict[str, float]:
    """Seconds spent by each step a report takes on `data` (a file `analyze()` refuses: its error)."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    try:
        report = analyze(data, name="worst-case")
    except InputError:
        report = None
    seconds["analyze"] = time.perf_counter() - start
    if report is not None:
        for step, call in (
            ("to_json", report.to_json),
            ("to_markdown", lambda: report_markdown(report)),
            ("migrated_yaml_shown", report.migrated_yaml_shown),
        ):
            start = time.perf_counter()
            call()
            seconds[step] = time.perf_counter() - start
    text = data.decode("utf-8")
    start = time.perf_counter()
    mask_yaml_text(text)
    seconds["mask_yaml_text"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    return seconds


def measure_worst_cases(large: bytes) -> dict:
    """Seconds per MB of every worst case, and of the same steps on the ordinary large file."""
    worst_case_run(large)  # warm-up: imports, caches
    ordinary = worst_case_run(large)
    rows = []
    for name, data in worst_cases().items():
        gc.collect()
        seconds = worst_case_run(data)
        rows.append({"case": name, "bytes": len(data), "seconds": seconds})
    return {
        "ordinary": {"bytes": len(large), "seconds": ordinary},
        "cases": rows,
    }


def _per_mb(seconds: float, size: int) -> float:
    return seconds / (size / MB)


def print_worst_cases(result: dict) -> None:
    ordinary = result["ordinary"]
    base = _per_mb(ordinary["seconds"]["total"], ordinary["bytes"])
    print("\nworst cases: analyze + to_json + to_markdown + migrated_yaml_shown + mask_yaml_text")
    print(f"  {'case':24}{'size':>10}{'s per MB':>10}{'x ordinary':>12}   slowest step")
    for row in result["cases"]:
        seconds = row["seconds"]
        steps = {k: v for k, v in seconds.items() if k != "total"}
        slowest = max(steps, key=steps.__getitem__)
        per_mb = _per_mb(seconds["total"], row["bytes"])
        print(
            f"  {row['case']:24}{row['bytes'] / 1024:>7.0f} KB{per_mb:>10.2f}{per_mb / base:>11.1f}x"
            f"   {slowest} {steps[slowest]:.2f} s"
        )
    worst = max(result["cases"], key=lambda r: _per_mb(r["seconds"]["total"], r["bytes"]))
    worst_per_mb = _per_mb(worst["seconds"]["total"], worst["bytes"])
    print(f"  {'ordinary legacy file':24}{ordinary['bytes'] / 1024:>7.0f} KB{base:>10.2f}{1:>11.1f}x")
    print(
        f"  worst: {worst['case']}, {worst_per_mb:.2f} s per MB "
        f"({worst_per_mb / base:.1f}x the ordinary file)"
    )


# ---------------------------------------------------------------------------
# measuring


def engine_run(data: bytes, target: str | None, *, prove: bool = False) -> Callable[[], object]:
    """check + migrate + preview; with `prove`, Helm's renders and the ledger too (renders not reused)."""

    def run() -> object:
        if prove:
            clear_render_cache()
        report = analyze(data, name="bench", target=target, prove_with_helm=prove)
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


def measure_proof(data: bytes, repeat: int, target: str | None) -> dict:
    """What Helm's proof adds to one analysis: both renders, the checks and the ledger.

    The renders are not reused between runs (the per-process render cache is cleared), so each
    run renders the source and the target chart again; the charts themselves stay loaded, as in
    a warm worker.
    """
    with_proof = timings(engine_run(data, target, prove=True), repeat)
    without = timings(engine_run(data, target, prove=False), repeat)
    return {
        "repeat": repeat,
        "with_median_s": statistics.median(with_proof),
        "without_median_s": statistics.median(without),
        "proof_median_s": statistics.median(with_proof) - statistics.median(without),
    }


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


# ---------------------------------------------------------------------------
# CLI process time

# Run in a child process: where the time of one `check` goes (process time, user + system, read
# with getrusage at each step). Helm's chart loads and renders are timed inside the real run by
# wrapping helm_python's own calls. Prints one JSON line.
_PHASES = r"""
import json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = cpu()
import yaml  # the YAML parser's C extension: the engine's reader is built on it
after_yaml = cpu()
import migrator.cli
import gc
gc.freeze()  # as migrator/__main__.py does, after the imports and before exit
after_import = cpu()
import helm_python
after_helm = cpu()
spent = {"load": [], "render": []}
def timed(kind, call):
    def wrapper(*args, **kwargs):
        before = cpu()
        try:
            return call(*args, **kwargs)
        finally:
            spent[kind].append(cpu() - before)
    return wrapper
helm_python.Chart.load_archive = staticmethod(timed("load", helm_python.Chart.load_archive))
helm_python.Chart.render = timed("render", helm_python.Chart.render)
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    code = migrator.cli.main(["check", sys.argv[1]])
gc.freeze()
end = cpu()
print(json.dumps({
    "startup": start, "yaml": after_yaml - start, "migrator": after_import - after_yaml,
    "helm_library": after_helm - after_import, "run": end - after_helm,
    "loads": spent["load"], "renders": spent["render"], "code": code, "total": end,
}))
"""


def _child_env(bytecode: bool) -> dict[str, str]:
    """The environment for a CLI run: with bytecode (as an installation has it) or without."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:  # compile every module from source, as a checkout with PYTHONDONTWRITEBYTECODE=1 does
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(EMPTY_PYCACHE)
    return env


def _cli_times(path: Path, repeat: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for _ in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "migrator", "check", str(path)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return cpu[1:], wall[1:]  # the first run warms the disk cache (and writes the bytecode)


def _phases(path: Path, repeat: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each step of `check` (see _PHASES), over `repeat` runs."""
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            [sys.executable, "-c", _PHASES, str(path)],
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        process = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        run["exit"] = max(0.0, process - run["total"])  # the interpreter's and Go runtime's shutdown
        run["total"] = process
        runs.append(run)
    steps = ("startup", "yaml", "migrator", "helm_library", "run", "exit", "total")
    medians = {step: statistics.median(r[step] for r in runs) for step in steps}
    loads = [
        statistics.median(r["loads"][i] for r in runs) for i in range(min(len(r["loads"]) for r in runs))
    ]
    renders = [
        statistics.median(r["renders"][i] for r in runs) for i in range(min(len(r["renders"]) for r in runs))
    ]
    medians["loads"] = sum(loads)
    medians["renders"] = sum(renders)
    medians["python_run"] = medians["run"] - medians["loads"] - medians["renders"]
    return {**medians, "load_each": loads, "render_each": renders}


def measure_cli(path: Path, repeat: int) -> dict:
    """Process time (user + system, the child's own) of `python -m migrator check FILE`.

    With bytecode (`PYTHONPYCACHEPREFIX` under .bench/, written by a warm-up run): what an
    installation pays, the figure the target is about. Without (every module compiled from
    source, as under `PYTHONDONTWRITEBYTECODE=1` in a checkout): for information. Then where
    the time goes, and the floor: what Python's start, the YAML reader, Helm's library, its
    chart loads and its renders cost before any of our own code runs.
    """
    PYCACHE.mkdir(parents=True, exist_ok=True)
    EMPTY_PYCACHE.mkdir(parents=True, exist_ok=True)
    with_env, without_env = _child_env(True), _child_env(False)
    cpu, wall = _cli_times(path, repeat, with_env)
    cold_cpu, _ = _cli_times(path, repeat, without_env)
    phases = _phases(path, repeat, with_env)
    floor = phases["startup"] + phases["yaml"] + phases["helm_library"] + phases["loads"] + phases["renders"]
    return {
        "file": path.name,
        "repeat": repeat,
        "cpu_median_s": statistics.median(cpu),
        "wall_median_s": statistics.median(wall),
        "cpu_runs_s": cpu,
        "no_bytecode_cpu_median_s": statistics.median(cold_cpu),
        "phases_s": phases,
        "floor_s": floor,
    }


def print_cli(cli: dict) -> None:
    ph = cli["phases_s"]
    print(
        f"\n`python -m migrator check {cli['file']}` (medians of {cli['repeat']} runs, process time = "
        "user + system):"
    )
    print(
        f"  with bytecode    {_ms(cli['cpu_median_s'])}  ({_ms(cli['wall_median_s']).strip()} wall; "
        f"{cli['cpu_median_s'] * 1000 / TARGET_CLI_MS:.2f}x the {TARGET_CLI_MS:.0f} ms goal)"
    )
    print(
        f"  without bytecode {_ms(cli['no_bytecode_cpu_median_s'])}  "
        "(every module compiled from source; for information)"
    )
    each_load = ", ".join(f"{s * 1000:.0f}" for s in ph["load_each"]) or "-"
    each_render = ", ".join(f"{s * 1000:.0f}" for s in ph["render_each"]) or "-"
    print(f"  where it goes (with bytecode; medians of {cli['repeat']} instrumented runs):")
    rows = [
        ("python start", ph["startup"]),
        ("import yaml (PyYAML's C reader)", ph["yaml"]),
        ("import migrator.cli", ph["migrator"]),
        ("load Helm's library (helm_python)", ph["helm_library"]),
        (f"Helm chart loads ({each_load} ms)", ph["loads"]),
        (f"Helm renders ({each_render} ms)", ph["renders"]),
        ("our own run (everything else)", ph["python_run"]),
        ("exit (interpreter and Go runtime)", ph["exit"]),
    ]
    for label, seconds in rows:
        print(f"    {label:40}{_ms(seconds)}")
    print(f"    {'total':40}{_ms(ph['total'])}")
    print(
        "  floor (python start + yaml + Helm's library + its loads and renders): "
        f"{_ms(cli['floor_s']).strip()}; our imports and run add {_ms(ph['total'] - cli['floor_s']).strip()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21, help="runs for the chart's defaults (default 21)")
    parser.add_argument("--large-repeat", type=int, default=5, help="runs for the large file (default 5)")
    parser.add_argument("--size", type=int, default=1024 * 1024, help="size of the large file (default 1 MB)")
    parser.add_argument("--cli-repeat", type=int, default=7, help="runs of the CLI (default 7, at least 5)")
    parser.add_argument("--target", default=None, help="target chart version (default: the newest known)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--cli-only", action="store_true", help="measure the CLI's process time only")
    parser.add_argument(
        "--no-worst", action="store_true", help="skip the worst cases for the passes over text"
    )
    args = parser.parse_args(argv)
    if args.cli_only:
        cli = measure_cli(CLI_FILE, max(5, args.cli_repeat))
        print_cli(cli)
        return 1 if args.strict and cli["cpu_median_s"] * 1000 >= TARGET_CLI_MS else 0

    results = []
    if DEFAULTS_FILE.exists():
        results.append(measure(DEFAULTS_FILE.name, DEFAULTS_FILE.read_bytes(), args.repeat, args.target))
    else:
        print(f"note: {DEFAULTS_FILE} not found; skipping the chart's defaults")
    large = build_large_legacy(args.size)
    results.append(measure("generated legacy file (~1 MB)", large, args.large_repeat, args.target))
    for result in results:
        print_result(result)
    proof = (
        measure_proof(DEFAULTS_FILE.read_bytes(), args.repeat, args.target)
        if DEFAULTS_FILE.exists()
        else None
    )
    if proof is not None:
        print(
            f"\nHelm's proof of {DEFAULTS_FILE.name} "
            "(both renders, the checks, the ledger; warm, in-process):"
        )
        print(
            f"  analysis with proof {_ms(proof['with_median_s'])}, without {_ms(proof['without_median_s'])}: "
            f"the proof adds {_ms(proof['proof_median_s']).strip()} (medians of {proof['repeat']})"
        )
    cli = measure_cli(CLI_FILE, max(5, args.cli_repeat))
    print_cli(cli)
    worst = None if args.no_worst else measure_worst_cases(large)
    if worst is not None:
        print_worst_cases(worst)

    print("\ntargets:")
    met = True
    if DEFAULTS_FILE.exists():
        defaults_ms = results[0]["engine_median_s"] * 1000
        ok = defaults_ms < TARGET_DEFAULTS_MS
        met &= ok
        verdict = "met" if ok else "NOT met"
        print(f"  chart defaults under {TARGET_DEFAULTS_MS:.0f} ms: {defaults_ms:.1f} ms -> {verdict}")
    if proof is not None:
        proof_ms = proof["proof_median_s"] * 1000
        ok = proof_ms < TARGET_PROOF_MS
        met &= ok
        verdict = "met" if ok else "NOT met"
        print(f"  render proof + ledger under {TARGET_PROOF_MS:.0f} ms: {proof_ms:.1f} ms -> {verdict}")
    cli_ms = cli["cpu_median_s"] * 1000
    ok = cli_ms < TARGET_CLI_MS
    met &= ok
    print(
        f"  CLI check under {TARGET_CLI_MS:.0f} ms of process time (with bytecode): {cli_ms:.0f} ms, "
        f"{cli_ms / TARGET_CLI_MS:.2f}x the goal -> {'met' if ok else 'NOT met'} "
        f"(floor on this machine: {cli['floor_s'] * 1000:.0f} ms)"
    )
    ratio = results[-1]["ratio"]
    ok = ratio >= TARGET_RATIO
    met &= ok
    verdict = "met" if ok else "NOT met"
    print(f"  large file >= {TARGET_RATIO:.0f}x faster than the round-trip: {ratio:.1f}x -> {verdict}")
    if worst is not None:
        per_mb = max(_per_mb(r["seconds"]["total"], r["bytes"]) for r in worst["cases"])
        ok = per_mb < TARGET_WORST_S_PER_MB
        met &= ok
        verdict = "met" if ok else "NOT met"
        print(f"  worst case under {TARGET_WORST_S_PER_MB:.0f} s per MB: {per_mb:.2f} s -> {verdict}")

    RESULTS.parent.mkdir(exist_ok=True)
    saved = {"results": results, "proof": proof, "cli": cli, "worst_cases": worst, "targets_met": met}
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"\n(figures also written to {RESULTS.relative_to(REPO)})")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
