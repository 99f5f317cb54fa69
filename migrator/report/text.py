"""A report as plain text, for a terminal: what `python -m migrator check` and `preview` print.

Plain data in, lines out: no YAML is parsed here (masked values come from `secrets.mask_data`,
the texts from the report's views). The CLI escapes what it prints (`cli.terminal_safe`).
"""

from __future__ import annotations

from migrator.report.model import Report
from migrator.report.secrets import mask_data


def summary(report: Report) -> str:
    """What `check` prints for one file: status, evidence, changes, findings, the render, next steps."""
    lines = [f"{report.source}: {report.status} (layout: {report.detected.label}; target {report.target})"]
    for ev in report.detected.evidence:
        lines.append(f"  evidence: {ev.path}{f' (line {ev.line})' if ev.line else ''} -> {ev.says}")
    for change in report.changes:
        lines.append(f"  [{change.status}] {change.version} {change.id}: {change.title}")
        if change.blocked_reason:
            lines.append(f"      blocked: {change.blocked_reason}")
        for step in change.manual_steps:
            lines.append(f"      by hand: {step}")
    for f in report.findings:
        where = f" line {f.line}" if f.line else ""
        lines.append(f"  {f.severity}: [{f.code}] {f.path}{where}: {f.message}")
    for m in report.moved:
        lines.append(f"  moved: {m.source} -> {m.target}")
    for d in report.dropped:
        lines.append(f"  dropped: {d.path} ({d.reason})")
    for note in report.notes:
        lines.append(f"  note: {note}")
    proof = report.render
    if proof is not None:
        lines.append(
            f"  render: chart {proof.chart_version}: {proof.status}{f' ({proof.note})' if proof.note else ''}"
        )
        for message in proof.messages:
            lines.append(f"      chart says: {message.message}")
        for placeholder in proof.placeholders:
            where = f" (line {placeholder.line})" if placeholder.line else " (not in the file)"
            lines.append(f"      placeholder: {placeholder.path}{where}")
    if report.source_render is not None and report.source_render.note:
        lines.append(f"  ledger: {report.source_render.note}")
    for entry in report.ledger:
        if entry.severity == "info":
            continue
        new = f" -> {entry.new_kind or entry.kind}/{entry.new_name}" if entry.new_name else ""
        lines.append(f"  cluster {entry.severity}: {entry.change} {entry.kind}/{entry.name}{new}")
    info = sum(1 for e in report.ledger if e.severity == "info")
    if info:
        lines.append(f"  cluster: {info} more object(s) created or updated (see --json)")
    for number, step in enumerate(report.next_steps, 1):
        where = f" (line {step.line})" if step.line else ""
        lines.append(f"  next {number}. {step.text}{where}")
        if step.command:
            lines.append(f"      $ {step.command}")
    return "\n".join(lines)


def pools_summary(report: Report, *, reveal_secrets: bool = False) -> str:
    """What `preview` prints: each compute pool as the chart renders it, the totals and the findings."""
    lines = [
        f"{report.source}: release {report.release}, namespace {report.namespace}, chart {report.target}"
    ]
    for p in report.pools:
        proven = "rendered by Helm" if p.proven else "by the chart's rules (not rendered)"
        lines.append(f"  pool {p.name!r} ({proven}): StatefulSet {p.statefulset}")
        lines.append(f"    headless Service {p.headless_service}")
        lines.append(f"    GROUP={p.group} PARTITION_KEY={p.partition_key} capabilities={p.capabilities}")
        gpu_env = f" GPU_COUNT={p.gpu_count_env}" if p.gpu_count_env is not None else ""
        counts = f"replicas={p.replicas} GPUs per replica={p.gpus_per_replica} GPUs={p.gpus_total}"
        lines.append(f"    {counts}{gpu_env}")
        if p.service_account:
            lines.append(f"    service account: {p.service_account}")
        for pod, dns in zip(p.pods, p.dns_names, strict=False):
            lines.append(f"    pod {pod}  {dns}")
        shown = p.resources if reveal_secrets else mask_data(p.resources)
        lines.append(f"    resources ({p.sources.get('resources', '?')}): {shown}")
        if p.problems:
            lines.append(f"    problems: {', '.join(p.problems)}")
    lines.append(f"  total: {report.total_pods} pods, {report.total_gpus} GPUs")
    for component, account in report.service_accounts.items():
        lines.append(f"  {component} runs as service account {account}")
    for f in report.findings:
        lines.append(f"  {f.severity}: [{f.code}] {f.path}: {f.message}")
    return "\n".join(lines)


__all__ = ["pools_summary", "summary"]
