"""Know the chart's keys: another chart's file, keys the target chart ignores, keys it stopped reading.

This step of the pipeline (called by `engine.analyze`) asks the catalogue of the chart's keys
(`migrator.chart.catalogue`, derived from the packages):
- `fit(data)`: is the file `adaptive` values at all (else the verdict is `not-adaptive`);
- `narrow(detection, data)`: the versions whose keys fit the file narrow the detected range;
- `key_findings(data, target)`: `unknown-key` (with the key most likely meant) and
  `removed-key` (the last version that read it) for each key of the migrated file that the
  target chart does not read and that no registered change migrates.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from migrator.changes.registry import change_migrating
from migrator.chart import catalogue
from migrator.report.model import ChartFit, Detection, Evidence, Finding, LedgerEntry
from migrator.versions import Version
from migrator.yaml.paths import format_path


def fit(data: Any) -> ChartFit:
    verdict = catalogue.looks_adaptive(data)
    top = [str(k) for k in data] if isinstance(data, dict) else []
    known = tuple(k for k in top if k == "global" or catalogue.versions_reading((k,)))
    unknown = tuple(k for k in top if k not in known)
    return ChartFit(verdict.is_adaptive, verdict.evidence, known, unknown)


def not_adaptive_finding(chart_fit: ChartFit) -> Finding:
    return Finding(
        "not-adaptive",
        "critical",
        None,
        f"This is not a values file of the `adaptive` chart, so nothing was changed: {chart_fit.evidence}.",
    )


def narrow(detection: Detection, chart_fit: ChartFit, data: Any) -> ChartFit:
    """Narrow the detected range to the versions, within it, whose keys fit the file best.

    The fingerprints (the registry's old and new keys) set the range; the catalogue knows
    which versions read every other key, so among the versions the fingerprints allow it
    keeps those that fit best. Where the two disagree (no best-fitting version in the range,
    e.g. a migrated file that still carries keys only old charts read) the fingerprints stand.
    """
    known = catalogue.versions()
    if detection.conflict or not chart_fit.adaptive or not isinstance(data, dict) or not data:
        return chart_fit
    in_range = [
        v
        for v in known
        if (detection.low is None or Version(v) >= Version(detection.low))
        and (detection.high is None or Version(v) < Version(detection.high))
    ]
    fitting = sorted(catalogue.fitting_versions(data, among=in_range), key=Version)
    chart_fit = replace(chart_fit, versions=tuple(fitting))
    if not fitting or len(fitting) == len(known):
        return chart_fit
    low = fitting[0]
    after = [v for v in known if Version(v) > Version(fitting[-1])]
    high = after[0] if after else None
    if (low, high) == (detection.low, detection.high):
        return chart_fit
    shown = low if low == fitting[-1] else f"{low} to {fitting[-1]}"
    detection.evidence.append(Evidence("(all keys)", f"the file's keys fit chart {shown} best", None))
    detection.low, detection.high = low, high
    detection.label = _label(low, high)
    return chart_fit


def _label(low: str | None, high: str | None) -> str:
    if low is None and high is None:
        return "any version (no version-specific keys)"
    if low is None:
        return f"before {high} ({Version(str(high)).previous_line()} or earlier)"
    if high is None:
        return f"{low} or later"
    return f"{low} – {Version(high).previous_line()}"


def key_findings(data: Any, target: str, ledger: list[LedgerEntry]) -> list[Finding]:
    """`unknown-key` and `removed-key` for the migrated values at the target chart."""
    if target not in catalogue.versions():
        return []
    findings = []
    for key in catalogue.unknown_keys(data, target, migrated_by=change_migrating, skip_changes=True):
        path = format_path(key.path)
        if key.last_version is not None:
            findings.append(
                Finding(
                    "removed-key",
                    "warning",
                    key.path,
                    f"Chart {target} no longer reads `{path}` (the last version that read it is "
                    f"{key.last_version}), and no breaking change of the registry covers it. The key stays "
                    "in your file, where Helm ignores it: " + _what_goes(key.path, ledger),
                )
            )
            continue
        suggestion = format_path(key.suggestion) if key.suggestion else None
        newer = f" It is read from chart {key.first_version} on." if key.first_version else ""
        findings.append(
            Finding(
                "unknown-key",
                "warning",
                key.path,
                f"Chart {target} does not read `{path}`: Helm ignores it, so the deployment runs with the "
                "chart's default instead." + (f" Did you mean `{suggestion}`?" if suggestion else "") + newer,
            )
        )
    return findings


_KIND_ORDER = {"StatefulSet": 0, "Deployment": 1, "PersistentVolumeClaim": 2, "Service": 3}


def _what_goes(path: tuple, ledger: list[LedgerEntry]) -> str:
    """What the upgrade does about what the removed key configured, from the ledger."""
    name = str(path[-1]).lower()
    gone = sorted(
        (e for e in ledger if e.change in ("deleted", "kind-changed") and name in e.name.lower()),
        key=lambda e: (_KIND_ORDER.get(e.kind, 9), e.kind, e.name),
    )
    if not gone:
        return "whatever it configured is no longer deployed by this chart."
    shown = ", ".join(f"{e.kind} `{e.name}`" for e in gone[:5]) + (
        f" and {len(gone) - 5} more" if len(gone) > 5 else ""
    )
    data = any(e.severity == "critical" for e in gone)
    return f"what it configured is not deployed any more, and the upgrade deletes {shown}" + (
        " (their volumes' data is not carried over)." if data else "."
    )
