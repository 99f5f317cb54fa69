"""The report as Markdown, for a support ticket. Secrets masked unless asked."""

from __future__ import annotations

from migrator.report.model import STATUS_SENTENCE, Report
from migrator.report.secrets import mask_data


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def report_markdown(report: Report, *, reveal_secrets: bool = False) -> str:
    out: list[str] = []
    out.append(f"# Values upgrade report: `{_cell(report.source)}`")
    out.append("")
    out.append(f"- **Status:** {STATUS_SENTENCE[report.status]}")
    out.append(f"- **Detected layout:** {report.detected.label}")
    out.append(f"- **Target chart version:** {report.target}")
    if report.source_version:
        out.append(f"- **Chart version the release runs now (assumed):** {report.source_version}")
    out.append(f"- **Release / namespace:** `{report.release}` / `{report.namespace}`")
    out.append(
        f"- **Findings:** {report.count('critical')} critical, {report.count('warning')} warning, "
        f"{report.count('info')} info"
    )
    for note in report.notes:
        out.append(f"- {note}")
    if report.detected.evidence:
        out += ["", "## Evidence", ""]
        for ev in report.detected.evidence:
            where = f" (line {ev.line})" if ev.line else ""
            out.append(f"- `{ev.path}`{where}: {ev.says}")
    if report.changes:
        out += ["", "## Breaking changes", ""]
        for change in report.changes:
            out.append(f"### {change.version} `{change.id}`: {change.title} ({change.status})")
            out.append("")
            out.append(change.explanation)
            if change.summary:
                out += ["", f"**Done:** {change.summary}"]
            if change.blocked_reason:
                out += ["", f"**Blocked:** {change.blocked_reason}"]
            if change.manual_steps:
                out += ["", "**By hand:**"]
                out += [f"- [ ] {step}" for step in change.manual_steps]
            out.append("")
    if report.findings:
        out += ["## Findings", "", "| Severity | Code | Path | Line | Message |", "|---|---|---|---|---|"]
        for f in report.findings:
            out.append(
                f"| {f.severity} | `{f.code}` | `{_cell(f.path)}` | {f.line or ''} | {_cell(f.message)} |"
            )
        out.append("")
    if report.moved or report.dropped:
        out += ["## Values moved and dropped", ""]
        out += [f"- moved `{m.source}` → `{m.target}`" for m in report.moved]
        out += [f"- dropped `{d.path}`: {d.reason}" for d in report.dropped]
        out.append("")
    if report.pools:
        out += [
            "## Compute pools",
            "",
            "| Pool | StatefulSet | Headless Service | Replicas | GPUs/replica | GPUs | Capabilities "
            "| Problems |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for p in report.pools:
            out.append(
                f"| `{_cell(p.name)}` | `{p.statefulset}` | `{p.headless_service}` | {p.replicas} | "
                f"{p.gpus_per_replica} | {p.gpus_total} | {_cell(p.capabilities)} | "
                f"{', '.join(p.problems) or '-'} |"
            )
        out += ["", f"Total: {report.total_pods} pods, {report.total_gpus} GPUs.", ""]
        for p in report.pools:
            resources = p.resources if reveal_secrets else mask_data(p.resources)
            out.append(f"- `{_cell(p.name)}` resources ({p.sources.get('resources', '?')}): `{resources}`")
        out.append("")
    out += _render_section(report)
    out += _ledger_section(report)
    out += _next_steps_section(report)
    text = report.migrated_yaml_shown(reveal_secrets=reveal_secrets)
    if text is not None:
        fence = "~~~~" if "```" in text else "```"
        out += [
            "## Migrated values" + ("" if reveal_secrets else " (secrets masked)"),
            "",
            fence + "yaml",
            text.rstrip("\n"),
            fence,
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def _render_section(report: Report) -> list[str]:
    proof = report.render
    if proof is None:
        return []
    out = [
        "## Render proof",
        "",
        f"- Chart {proof.chart_version}: **{proof.status}**"
        + (f" ({_cell(proof.note)})" if proof.note else ""),
    ]
    for message in proof.messages:
        out.append(f"- The chart says: {_cell(message.message)}")
    for placeholder in proof.placeholders:
        where = f"line {placeholder.line}" if placeholder.line else "not in the file yet"
        out.append(f"- Placeholder for `{_cell(placeholder.path)}` ({where})")
    if proof.objects:
        out.append("- Objects: " + ", ".join(f"{n} {kind}" for kind, n in sorted(proof.objects.items())))
    out.append("")
    return out


def _ledger_section(report: Report) -> list[str]:
    if not report.ledger and not (report.source_render and report.source_render.note):
        return []
    out = ["## What the upgrade does to the cluster", ""]
    if report.source_render and report.source_render.note:
        out += [_cell(report.source_render.note), ""]
    if report.ledger:
        out += ["| Severity | Change | Object | Becomes | Consequence |", "|---|---|---|---|---|"]
        for e in report.ledger:
            becomes = f"{e.new_kind or e.kind}/{e.new_name}" if e.new_name else ""
            out.append(
                f"| {e.severity} | {e.change} | `{_cell(e.kind)}/{_cell(e.name)}` | {_cell(becomes)} | "
                f"{_cell(e.consequence)} |"
            )
        out.append("")
    return out


def _next_steps_section(report: Report) -> list[str]:
    if not report.next_steps:
        return []
    out = ["## Next steps", ""]
    for number, step in enumerate(report.next_steps, 1):
        where = f" (line {step.line} of the migrated file)" if step.line else ""
        out.append(f"{number}. {_cell(step.text)}{where}")
        if step.command:
            out += ["", "   ```sh", f"   {step.command}", "   ```"]
    out.append("")
    return out
