"""What the web app asks its worker processes to do. Runs in `migrator.worker` children only.

Everything here reads a user's file (parses it, masks it, renders the chart with it, diffs
it), so none of it may run in the server process: a hostile file or chart package must cost
one worker, never the server that serves every session (see webui/analysis.py). The
functions are module-level and take and return plain picklable data; the server calls
them by name (`"webui.jobs:analyze"`). No Streamlit here, and no migration logic: each one
is a call into the engine and its rendering helpers. Nothing here parses YAML: what the pages
show of the texts (masked copies, the structural diff) is the report's views (`Report.views`),
made once from the documents the engine parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator import engine
from migrator.chart.packages import package_from_bytes
from migrator.report.diff import align_rows, mark_changed_secrets, stats
from migrator.report.diff_html import render_html
from migrator.report.model import Report
from migrator.report.views import ReportViews

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "values-0.17-era.yaml"


def analyze(
    data: bytes,
    *,
    name: str,
    target: str | None = None,
    from_version: str | None = None,
    chart: bytes | None = None,
    chart_name: str = "chart.tgz",
    release: str = "adaptive",
    namespace: str = "default",
    options: tuple[str, ...] = (),
) -> Report:
    """The engine's analysis, with the masked migrated text made here from the engine's documents
    (it travels with the report, so the server never parses the file to mask it). With `chart`
    (a package's bytes) that package is the target."""
    package = package_from_bytes(chart, origin=chart_name) if chart is not None else None
    report = engine.analyze(
        data,
        name=name,
        target=None if package is not None else target,
        from_version=from_version,
        chart=package,
        release=release,
        namespace=namespace,
        options=options,
    )
    report.migrated_yaml_shown()
    return report


def analyze_page(
    data: bytes, *, left_title: str, right_title: str, **kwargs: Any
) -> tuple[Report, tuple[str, dict[str, int]] | None]:
    """`analyze`, and the masked side-by-side diff the page shows first, in one round trip.

    Everything else the page may show of the texts (revealed, the structural view) is made now
    too, from the engine's documents, and travels with the report (`Report.views`)."""
    report = analyze(data, **kwargs)
    views = report.views.prepare()
    diff = None
    if report.migrated_yaml is not None and report.status != "not-adaptive":
        diff = diff_view(views, left_title=left_title, right_title=right_title, reveal=False)
    return report, diff


def chart_version(data: bytes, name: str) -> str:
    """The version of a chart package a user hands in (InputError when it is not one)."""
    return package_from_bytes(data, origin=name).version


def diff_view(
    original: ReportViews | str,
    migrated: str | None = None,
    *,
    left_title: str,
    right_title: str,
    reveal: bool,
) -> tuple[str, dict[str, int]]:
    """The side-by-side diff as HTML, and its line counts; secrets masked unless `reveal`.

    Of a report's views (`Report.views`), or of two texts."""
    views = original if isinstance(original, ReportViews) else ReportViews(original, migrated)
    left = views.original_shown(reveal=reveal)
    right = views.migrated_shown(reveal=reveal)
    rows = align_rows(left, left if right is None else right)
    if not reveal and views.migrated is not None:
        # A changed secret must not look unchanged.
        rows = mark_changed_secrets(rows, views.original, views.migrated)
    return render_html(rows, left_title=left_title, right_title=right_title), stats(rows)


def structure_view(
    original: ReportViews | str, migrated: str | None = None, *, reveal: bool
) -> list[dict[str, Any]] | str:
    """The moved, added, dropped and changed paths (masked unless `reveal`), or why there are none.

    Of a report's views (`Report.views`), or of two texts."""
    views = original if isinstance(original, ReportViews) else ReportViews(original, migrated)
    return views.structure(reveal=reveal)


def warm_up() -> bool:
    """Load what a first analysis pays for (the engine, Helm, a chart package) on our example."""
    report = analyze(EXAMPLE.read_bytes(), name=EXAMPLE.name)
    diff_view(report.views, left_title="", right_title="", reveal=False)
    return True
