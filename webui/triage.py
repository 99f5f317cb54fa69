"""The Triage page's table, exports and combined report, from the engine's reports.

Pure functions (no Streamlit), tested in tests/test_app.py. One row per file; the words for
each status are the ones every page uses (`webui.text.STATUS_LABEL`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace

from migrator.report.markdown import report_markdown
from migrator.report.model import Report
from webui import files
from webui.analysis import Failure
from webui.files import InputFile, Skipped
from webui.text import STATUS_LABEL, STATUS_ORDER
from webui.verdict import by_severity

COLUMNS = [
    "File",
    "Status",
    "Detected",
    "Most severe finding",
    "Critical",
    "Warnings",
    "Pools",
    "GPUs",
    "Release",
    "Namespace",
]
CHANGED_STATUSES = ("migrated", "needs-input")


@dataclass(frozen=True)
class Entry:
    """One file of a batch: what was uploaded, where it is analysed for, and the result."""

    item: InputFile
    release: str
    namespace: str
    result: Report | Failure

    @property
    def status(self) -> str:
        if isinstance(self.result, Failure):
            return "unreadable" if self.result.kind in ("input", "chart") else "failed"
        return self.result.status

    @property
    def changed(self) -> bool:
        """A migrated file worth handing back: it differs from the upload, and is adaptive."""
        r = self.result
        return isinstance(r, Report) and r.status in CHANGED_STATUSES and r.changed


STATUS_WORDS = {**STATUS_LABEL, "failed": "Analysis failed"}


def most_severe(result: Report | Failure) -> str:
    """The most severe finding in words (or the reason there is no report)."""
    if isinstance(result, Failure):
        return result.one_line()
    if not result.findings:
        return ""
    f = by_severity(list(result.findings))[0]
    return f"{f.severity}: {f.message}"


def row(entry: Entry) -> dict[str, object]:
    r = entry.result
    report = r if isinstance(r, Report) else None
    values = {
        "File": entry.item.name,
        "Status": STATUS_WORDS.get(entry.status, entry.status),
        "Detected": report.detected.label if report else "",
        "Critical": report.count("critical") if report else 0,
        "Warnings": report.count("warning") if report else 0,
        "Pools": len(report.pools) if report else 0,
        "GPUs": report.total_gpus if report else 0,
        "Most severe finding": most_severe(r),
        "Release": entry.release,
        "Namespace": entry.namespace,
    }
    return {k: values[k] for k in COLUMNS}


def counts(entries: list[Entry]) -> dict[str, int]:
    """How many files of each status, in the order the page shows them (every status, even 0)."""
    out = {status: 0 for status in [*STATUS_ORDER, "failed"]}
    for e in entries:
        out[e.status] = out.get(e.status, 0) + 1
    return out


def csv_text(entries: list[Entry]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in entries:
        writer.writerow({k: _csv_cell(v) for k, v in row(e).items()})
    return buf.getvalue()


def _csv_cell(value: object) -> object:
    # A cell starting with = + - @ would be a formula in a spreadsheet: keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


_MD_CELL = re.compile(r"([\\`*_\[\]<>|#])")


def md_cell(text: object) -> str:
    """Text for the combined report's Markdown: what would make a link, an emphasis, HTML or a
    table cell boundary escaped, the rest (dots, dashes, slashes) left readable."""
    return _MD_CELL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def _demoted(markdown: str) -> list[str]:
    """A file's report under the combined report's headings: every heading one level down."""
    out, fence = [], None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
        elif fence is None and line.startswith("#"):
            line = "#" + line
        out.append(line)
    return out


def combined_report(entries: list[Entry], skipped: list[Skipped], target: str) -> str:
    """One Markdown report: the summary table first (each file linked to its section), what was
    skipped, then each file's report without its migrated values (secrets masked)."""
    tally = counts(entries)
    parts = [
        "# Triage report",
        "",
        f"{len(entries)} file(s), target chart {target}. Secrets are masked; the migrated files are "
        "not included (download them as a zip from the Triage page).",
        "",
        ", ".join(f"{n} {STATUS_WORDS[s].lower()}" for s, n in tally.items() if n) or "No files.",
        "",
        "## Summary",
        "",
        "| # | File | Status | Release / namespace | Detected | Critical | Warnings | Pools | GPUs "
        "| Most severe finding |",
        "|---|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for i, e in enumerate(entries, start=1):
        r = row(e)
        cells = [
            str(i),
            f"[{md_cell(e.item.name)}](#file-{i})",
            md_cell(r["Status"]),
            f"{md_cell(e.release)} / {md_cell(e.namespace)}",
            md_cell(r["Detected"]),
            str(r["Critical"]),
            str(r["Warnings"]),
            str(r["Pools"]),
            str(r["GPUs"]),
            md_cell(r["Most severe finding"]),
        ]
        parts.append("| " + " | ".join(cells) + " |")
    if skipped:
        parts += ["", "## Skipped", ""]
        parts += [f"- {md_cell(s.name)}: {s.reason}" for s in skipped]
    for i, e in enumerate(entries, start=1):
        parts += ["", "---", "", f'<a id="file-{i}"></a>', "", f"## {i}. {md_cell(e.item.name)}", ""]
        if isinstance(e.result, Failure):
            parts.append(f"{STATUS_WORDS[e.status]}: {md_cell(e.result.one_line())}")
            if e.result.snippet:
                parts += ["", "```", e.result.snippet.replace("```", "` ` `"), "```"]
        else:
            # The file's own report, without the migrated values (they are in the zip).
            text = report_markdown(replace(e.result, migrated_yaml=None), reveal_secrets=False)
            parts += _demoted(text)
    return "\n".join(parts).rstrip("\n") + "\n"


def changed_files(entries: list[Entry], *, redacted: bool) -> list[tuple[str, bytes]]:
    """(name in the zip, content) of the files the migration changed, adaptive ones only."""
    out = []
    for e in entries:
        if not e.changed:
            continue
        report = e.result
        assert isinstance(report, Report)
        base = e.item.name.replace("/", "__")
        if redacted:
            out.append((files.redacted_name(base), (report.migrated_yaml_shown() or "").encode("utf-8")))
        else:
            out.append((files.migrated_name(base), (report.migrated_yaml or "").encode("utf-8")))
    return out
