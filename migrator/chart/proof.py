"""Helm proves the upgrade: render the target chart with the migrated values, and the source
chart with the original values, then say what the upgrade does to the cluster.

This step of the pipeline (called by `engine.analyze`) fills in the report's `render`,
`source_render`, `ledger`, the render-based findings, the pool preview's rendered values,
the service accounts, the honest `status` and the `next_steps`.
"""

from __future__ import annotations

import os
import shlex
from collections import Counter
from dataclasses import replace
from typing import Any

from migrator.chart import facts, kube, ledger, packages
from migrator.chart.packages import ChartPackage
from migrator.chart.render import Refusal, Rendered, render
from migrator.errors import InputError
from migrator.report.model import (
    Finding,
    NextStep,
    PlaceholderValue,
    PoolPreview,
    RenderMessage,
    RenderProof,
    Report,
    pool_index,
)
from migrator.report.secrets import mask_string
from migrator.versions import Version
from migrator.yaml.document import Document
from migrator.yaml.paths import Path, format_path

# Findings of the changes that name a value the user must fill in (status needs-input).
FILL_CODES = frozenset(
    {
        "db-password-missing",
        "db-database-missing",
        "internal-jwt-key-missing",
        "secret-default-removed",
        "secret-empty",
        "secret-placeholder",
        "value-required",
    }
)
# Findings that leave the file right but the deployment waiting for the user: a key to add to
# an existing Secret of theirs (status needs-input too, and `check` exits 4).
WAITS_FOR_USER_CODES = FILL_CODES | {"existing-secret-keys"}
MAX_OBJECT_FINDINGS = 20
# Preview findings that already explain a pool StatefulSet Helm renders as invalid YAML.
BROKEN_DOCUMENT_CODES = frozenset({"requests-dropped", "limits-dropped", "node-selector-invalid-yaml"})
COMPONENT_LABEL = "app.kubernetes.io/component"
POOL_LABEL = "app.kubernetes.io/pool"


def prove(
    report: Report,
    original: Document,
    migrated: Document,
    target: ChartPackage,
    source: str | None,
    *,
    blocked: bool,
) -> None:
    """Render, check, compare; then decide the status and the next steps."""
    if blocked:
        report.render = RenderProof(target.version, "not-run", note="blocked: no migrated file to render")
    else:
        target_render = _render(target, migrated.text, report)
        report.render = _proof(target_render, migrated)
        _refusal_findings(report, target_render, migrated)
        _object_findings(report, target_render, migrated)
        if target_render.ok:
            _overlay_pools(report.pools, target_render)
            report.service_accounts = _service_accounts(target_render)
        source_version = source or _default_source(report)
        if source_version is None:
            report.source_render = RenderProof(
                "", "not-run", note="the file's keys do not tell which chart version it was written for"
            )
        else:
            report.source_version = source_version
            source_render = _render(packages.shipped(source_version), original.text, report)
            report.source_render = _proof(source_render, original)
            if source_render.ok and target_render.ok:
                report.ledger = ledger.compare(
                    source_render.objects, target_render.objects, namespace=report.namespace
                )
                _ledger_findings(report)
            elif not source_render.ok:
                report.source_render.note = (
                    f"no ledger: chart {source_version} refuses the original file, so what runs now "
                    "cannot be rendered (pass the version the release really runs with --from)"
                )


def _render(package: ChartPackage, text: str, report: Report) -> Rendered:
    try:
        return render(package, text, release=report.release, namespace=report.namespace)
    except InputError as exc:  # Helm cannot read the values at all
        result = Rendered(package.version, report.release, report.namespace)
        result.refusal = Refusal(mask_string(exc.message))
        return result


def _default_source(report: Report) -> str | None:
    """The newest packaged version in the detected range, not past the target."""
    if report.detected.conflict:
        return None
    candidates = [
        v
        for v in packages.versions_between(report.detected.low, report.detected.high)
        if Version(v) <= Version(report.target)
    ]
    return candidates[-1] if candidates else None


def _line(doc: Document, path: tuple) -> int | None:
    return doc.line_of(path) if doc.has(path) else None


def _proof(rendered: Rendered, doc: Document) -> RenderProof:
    messages = []
    if rendered.refusal is not None:
        r = rendered.refusal
        messages.append(RenderMessage(mask_string(r.message), r.template, tuple(r.dotted), r.asks_for_value))
    placeholders = [
        PlaceholderValue(p.path, _line(doc, p.path), mask_string(p.refusal.message))
        for p in rendered.placeholders
    ]
    return RenderProof(
        rendered.chart_version,
        rendered.status,  # type: ignore[arg-type]
        messages=messages,
        placeholders=placeholders,
        objects=dict(Counter(o.kind for o in rendered.objects)),
    )


def _refusal_findings(report: Report, rendered: Rendered, doc: Document) -> None:
    covered = {(f.key, f.code) for f in report.findings}
    keys_with_fill = {f.key for f in report.findings if f.code in FILL_CODES}
    for placeholder in rendered.placeholders:
        dotted = format_path(placeholder.path)
        if placeholder.path in keys_with_fill or (placeholder.path, "value-required") in covered:
            continue
        line = _line(doc, placeholder.path)
        where = f" (line {line} of the migrated file)" if line else " (add it to the migrated file)"
        report.findings.append(
            Finding(
                "value-required",
                "critical",
                placeholder.path,
                f"Chart {rendered.chart_version} refuses to render until `{dotted}` is set{where}: "
                f"“{mask_string(placeholder.refusal.message)}”. The assistant cannot know this value; "
                "the render was proven with a placeholder in its place.",
                line,
            )
        )
    refusal = rendered.refusal
    if refusal is None:
        return
    contradicted = [
        p
        for p in rendered.placeholders
        if str(p.path[-1]) in refusal.message or format_path(p.path) in refusal.message
    ]
    if contradicted:
        # The chart asked for a value and then refuses it: no values file renders with this version.
        report.findings[:] = [
            f
            for f in report.findings
            if not (f.code == "value-required" and f.key in {p.path for p in contradicted})
        ]
        asked = contradicted[0]
        report.findings.append(
            Finding(
                "chart-refuses",
                "critical",
                asked.path,
                f"Chart {rendered.chart_version} cannot render these values at all: it requires "
                f"`{format_path(asked.path)}` (“{mask_string(asked.refusal.message)}”) and then refuses it "
                f"(“{mask_string(refusal.message)}”). No values file satisfies both; choose another target "
                "version.",
            )
        )
        return
    keys = refusal.dotted
    path = refusal.paths[0] if refusal.paths else None
    line = _line(doc, refusal.paths[0]) if refusal.paths else None
    names = ", ".join(f"`{k}`" for k in keys)
    advice = (
        f"Set {names}."
        if refusal.asks_for_value
        else (f"Change {names} as the message says." if keys else "")
    )
    report.findings.append(
        Finding(
            "chart-refuses",
            "critical",
            path,
            f"Chart {rendered.chart_version} refuses to render these values"
            + (f" ({refusal.template})" if refusal.template else "")
            + f": “{mask_string(refusal.message)}”. "
            + (f"{advice} " if advice else "")
            + "`helm upgrade` fails until then.",
            line,
        )
    )


def _pool_path(report: Report, obj_labels: dict[str, Any]) -> Path | None:
    key = obj_labels.get(POOL_LABEL)
    for index, pool in enumerate(report.pools):
        if pool.pool_key == key:
            return ("harmony", "computePools", index, "name")
    return None


def _object_findings(report: Report, rendered: Rendered, doc: Document) -> None:
    problems = kube.check(rendered.objects)
    if report.render is not None:
        report.render.invalid = len(problems) + len(rendered.broken)
    shown = 0
    by_object = {(o.kind, o.name): o for o in rendered.objects}
    # A pool whose name the preview already refused (invalid, colliding) needs no second word per object.
    named = {
        report.pools[i].pool_key
        for f in report.findings
        if f.code in ("invalid-name", "name-collision")
        and (i := pool_index(f.key)) is not None
        and i < len(report.pools)
    }
    explained = [
        f
        for f in report.findings
        if f.severity == "critical"
        and f.code in BROKEN_DOCUMENT_CODES
        and (f.object or "").startswith("StatefulSet/")
    ]
    for broken in rendered.broken:
        if explained and broken.template.endswith("harmony-statefulset.yaml"):
            continue  # the preview named the pool whose StatefulSet Helm cannot write, and why
        report.findings.append(
            Finding(
                "invalid-manifest",
                "critical",
                None,
                f"Chart {rendered.chart_version} renders a document in {broken.template} that Kubernetes "
                f"cannot read ({mask_string(broken.message)}); the install or upgrade fails.",
                object=broken.template,
            )
        )
    for problem in problems:
        if shown >= MAX_OBJECT_FINDINGS:
            break
        shown += 1
        obj = by_object.get((problem.kind, problem.name))
        path = _pool_path(report, obj.labels) if obj is not None else None
        if obj is not None and obj.labels.get(POOL_LABEL) in named:
            continue
        report.findings.append(
            Finding(
                "invalid-object",
                "critical",
                path,
                f"The {problem.kind} `{problem.name}` that chart {rendered.chart_version} renders is not "
                f"valid: `{problem.field}` {mask_string(problem.message).rstrip('.')}. Kubernetes rejects "
                "it, so the install or upgrade fails.",
                line=_line(doc, path) if path else None,
                object=f"{problem.kind}/{problem.name}",
            )
        )
    if len(problems) > shown:
        report.findings.append(
            Finding(
                "invalid-object",
                "critical",
                None,
                f"… and {len(problems) - shown} more problems in the rendered objects.",
            )
        )


_LEDGER_CODES = {
    "deleted": "object-deleted",
    "renamed": "object-renamed",
    "kind-changed": "object-kind-changed",
    "created": "object-created",
    "changed": "object-changed",
}


def _ledger_findings(report: Report) -> None:
    bindings_reported = any(f.code == "iam-binding-update" for f in report.findings)
    for entry in report.ledger:
        if entry.severity == "info":
            continue
        if entry.kind == "ServiceAccount" and bindings_reported:
            continue  # the service-account change names every new account and the binding to update
        code = _LEDGER_CODES[entry.change]
        if entry.change == "changed" and entry.severity == "critical":
            code = "immutable-field"
        if entry.kind == "ServiceAccount" and entry.severity == "critical":
            code = "iam-binding-lost"
        report.findings.append(
            Finding(
                code,
                entry.severity,
                None,
                f"{entry.kind} `{entry.name}`: {entry.consequence}",
                object=f"{entry.kind}/{entry.name}",
            )
        )


# -- the preview, as Helm renders it ---------------------------------------------------


def _container(body: dict[str, Any]) -> dict[str, Any]:
    containers = ((body.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    named = [c for c in containers if isinstance(c, dict) and c.get("name") == "harmony"]
    return (named or containers or [{}])[0]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {
        e.get("name"): e.get("value")
        for e in container.get("env") or []
        if isinstance(e, dict) and "value" in e
    }


def _overlay_pools(pools: list[PoolPreview], rendered: Rendered) -> None:
    """Replace each pool's preview values by what Helm rendered (matched by pool label, in order)."""
    statefulsets = [
        o
        for o in rendered.of_kind("StatefulSet")
        if o.labels.get(COMPONENT_LABEL) == "harmony" and POOL_LABEL in o.labels
    ]
    used: set[int] = set()
    for pool in pools:
        index = next(
            (
                i
                for i, o in enumerate(statefulsets)
                if i not in used and str(o.labels.get(POOL_LABEL)) == pool.pool_key
            ),
            None,
        )
        if index is None:
            continue
        used.add(index)
        sts = statefulsets[index]
        spec = sts.body.get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or {}
        container = _container(sts.body)
        env = _env(container)
        resources = container.get("resources") or {}
        gpu = (resources.get("limits") or {}).get("nvidia.com/gpu") if isinstance(resources, dict) else None
        replicas = spec.get("replicas") if isinstance(spec.get("replicas"), int) else pool.replicas
        gpus = int(gpu) if isinstance(gpu, int | float) or (isinstance(gpu, str) and gpu.isdigit()) else 0
        service = spec.get("serviceName") or pool.headless_service
        namespace = sts.namespace or rendered.namespace
        pods = [f"{sts.name}-{i}" for i in range(max(replicas, 0))]
        pool.statefulset = sts.name
        pool.headless_service = str(service)
        pool.replicas = replicas
        pool.pods = pods
        pool.dns_names = [f"{p}.{service}.{namespace}.svc.cluster.local" for p in pods]
        pool.group = _text(env.get("GROUP"), pool.group)
        pool.partition_key = _text(env.get("PARTITION_KEY"), pool.partition_key)
        pool.capabilities = _text(env.get("GROUP_CAPABILITIES"), pool.capabilities)
        pool.master_addr = _text(env.get("MASTER_ADDR"), pool.master_addr)
        pool.gpu_count_env = _text(env.get("GPU_COUNT"), None)
        pool.gpus_per_replica = gpus
        pool.gpus_total = gpus * max(replicas, 0)
        pool.resources = _without_gpu(resources)
        pool.node_selector = pod.get("nodeSelector") or {}
        pool.tolerations = pod.get("tolerations") or []
        pool.service_account = pod.get("serviceAccountName")
        pool.proven = True


def _text(value: Any, fallback: Any) -> Any:
    if value is None:
        return fallback
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _without_gpu(resources: Any) -> Any:
    if not isinstance(resources, dict):
        return resources
    return {
        side: {k: v for k, v in (values or {}).items() if k != "nvidia.com/gpu"}
        if isinstance(values, dict)
        else values
        for side, values in resources.items()
    }


def _service_accounts(rendered: Rendered) -> dict[str, str]:
    """The account each component's pods run as (`(namespace default)` when none is named)."""
    out: dict[str, str] = {}
    for obj in rendered.objects:
        if obj.kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        component = obj.labels.get(COMPONENT_LABEL)
        if not isinstance(component, str) or component in out:
            continue
        pod = ((obj.body.get("spec") or {}).get("template") or {}).get("spec") or {}
        out[component] = str(pod.get("serviceAccountName") or "default")
    return dict(sorted(out.items()))


# -- status and next steps ---------------------------------------------------------------


def conclude(report: Report, original: Document, migrated: Document | None) -> None:
    """The honest status and the next steps, once every finding is in (with or without renders)."""
    _status(report)
    if report.status == "blocked":
        # No migrated file is handed back: its lines mean nothing to the user; the input's do.
        moved = {m.target_key: m.source_key for m in report.moved}
        report.findings = [_input_line(f, original, moved) for f in report.findings]
        migrated = None
    report.next_steps = next_steps(report, migrated)


def _input_line(finding: Finding, original: Document, moved: dict[Path, Path]) -> Finding:
    """A migrated file's line, told in the input: where the key is, or the key it was moved from."""
    if finding.line_in != "migrated":
        return finding
    path = moved.get(finding.key, finding.key) if finding.key else None
    if path and original.has(path):
        return replace(finding, line=original.line_of(path), line_in="input")
    return replace(finding, line=None, line_in=None)


def _status(report: Report) -> None:
    if report.status in ("blocked", "not-adaptive"):
        return
    proof = report.render
    if proof is not None and (proof.status == "fails" or proof.invalid):
        report.status = "blocked"
        report.migrated_yaml = None
        return
    if any(f.code in WAITS_FOR_USER_CODES for f in report.findings) or (proof and proof.placeholders):
        report.status = "needs-input"


def next_steps(report: Report, migrated: Document | None = None) -> list[NextStep]:
    """What the operator does now, in order: values to fill (with their lines in the migrated
    file), the manual steps, what to do in the cluster first, then the command."""
    steps: list[NextStep] = []
    if report.status in ("blocked", "not-adaptive"):
        for f in report.findings:
            if f.severity == "critical":
                steps.append(NextStep("manual", f.message, f.path or None, f.line))
        return steps
    fill_keys: list[Path] = []
    for f in report.findings:
        if f.code in FILL_CODES and f.key and f.key not in fill_keys:
            fill_keys.append(f.key)
    for placeholder in report.render.placeholders if report.render else []:
        if placeholder.key not in fill_keys:
            fill_keys.append(placeholder.key)
    manual = [step for change in report.changes for step in change.manual_steps]
    for key in fill_keys:
        path = format_path(key)
        advice = next((m for m in manual if m.startswith(f"Fill in `{path}`")), f"Fill in `{path}`.")
        line = _line(migrated, key) if migrated is not None else None
        steps.append(NextStep("fill", advice, path, line))
    for step in manual:
        if not any(step.startswith(f"Fill in `{format_path(key)}`") for key in fill_keys):
            steps.append(NextStep("manual", step))
    for entry in report.ledger:
        if entry.severity == "critical":
            steps.append(NextStep("cluster", f"{entry.kind} `{entry.name}`: {entry.consequence}"))
    if report.status != "up-to-date" or report.source_version != report.target:
        steps.append(
            NextStep(
                "command",
                "Upgrade the release with the migrated file as its values. Do not add `--reuse-values`: it "
                "would merge the values the release was installed with back in, old keys included, which "
                "the new chart refuses or reads differently.",
                command=upgrade_command(report),
            )
        )
    return steps


def upgrade_command(report: Report, file_name: str = "values.migrated.yaml") -> str:
    """`helm upgrade` with the migrated file: from the chart's repository, or the package handed in."""
    if report.chart_origin:
        chart = shlex.quote(os.path.basename(report.chart_origin.rstrip("/")) or report.chart_origin)
        return f"helm upgrade {report.release} ./{chart} -n {report.namespace} -f {file_name}"
    return (
        f"helm upgrade {report.release} {facts.CHART_REPOSITORY} --version {report.target} "
        f"-n {report.namespace} -f {file_name}"
    )
