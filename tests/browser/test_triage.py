"""Triage for the support team: thirty customers' files at once (a zip holding another zip, a
README, another chart's values and an unreadable file among them), the table, the CSV, the
combined report and the zip of the files that changed; and how long it takes."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import pytest

import migrator
from webui.text import STATUS_LABEL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"
AIRFLOW = CORPUS / "bitnami--airflow--values.yaml"
THIRTY_BOUND_S = 90.0  # generous: the machine is shared; the figure is printed

pytestmark = pytest.mark.browser


def thirty_files() -> tuple[list[tuple[str, bytes]], bytes]:
    """Thirty values files (as 28 loose ones and a zip of two more plus a nested zip and a README)."""
    sources = [EXAMPLES / n for n in ("values-0.17-era.yaml", "values-0.24-era.yaml", "values-current.yaml")]
    sources += sorted(CORPUS.glob("adaptive--values-*.yaml"))
    files: list[tuple[str, bytes]] = []
    i = 0
    while len(files) < 26:
        src = sources[i % len(sources)]
        # Each customer's file differs a little (a comment), as real ones do.
        files.append((f"customer-{i:02d}-{src.name}", src.read_bytes() + f"# customer {i}\n".encode()))
        i += 1
    files.append(("customer-26-broken.yaml", b"harmony:\n  enabled: true\nharmony:\n  enabled: false\n"))
    files.append(("customer-27-airflow.yaml", AIRFLOW.read_bytes()))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep.yaml", sources[0].read_bytes())
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("batch/customer-28.yaml", sources[1].read_bytes())
        zf.writestr("batch/customer-29.yaml", sources[2].read_bytes())
        zf.writestr("batch/older.zip", inner.getvalue())
        zf.writestr("batch/README.md", "how we collected these")
    return files, outer.getvalue()


def test_thirty_files(session, capsys):
    loose, archive = thirty_files()
    session.open("triage", ready_text="Triage customers' values files")
    page = session.page
    main = page.locator('[data-testid="stMain"]')
    uploads = [{"name": n, "mimeType": "application/x-yaml", "buffer": d} for n, d in loose]
    uploads.append({"name": "batch.zip", "mimeType": "application/zip", "buffer": archive})
    start = time.perf_counter()
    session.upload(uploads, key="tri_files")
    main.get_by_role("heading", name="Per file").wait_for(timeout=180_000)
    main.locator('[data-testid="stMetric"]', has_text="Files").wait_for()
    session.idle(timeout=120)
    elapsed = time.perf_counter() - start
    metrics = dict(
        tuple([line for line in t.split("\n") if line.strip()][:2])
        for t in main.locator('[data-testid="stMetric"]').all_inner_texts()
    )
    assert metrics["Files"] == "30"
    # What was skipped, and why.
    skipped = main.locator('[data-testid="stTable"]', has_text="Why")
    assert "batch.zip/batch/older.zip" in skipped.inner_text()
    assert "archive inside an archive" in skipped.inner_text()
    assert "batch.zip/batch/README.md" in skipped.inner_text()
    # The CSV: one row per file, statuses in the page's words, numbers as numbers.
    _, data = session.download("Table (CSV")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == 30
    by_file = {r["File"]: r for r in rows}
    assert by_file["customer-26-broken.yaml"]["Status"] == "Cannot read"
    airflow = migrator.analyze(AIRFLOW.read_bytes(), name=AIRFLOW.name)
    assert by_file["customer-27-airflow.yaml"]["Status"] == STATUS_LABEL[airflow.status]
    assert all(r["Critical"].isdigit() and r["GPUs"].isdigit() for r in rows)
    assert set(STATUS_LABEL.values()) >= {r["Status"] for r in rows}
    # The combined report: the summary first, each file linked, no file embedded.
    _, report = session.download("Combined report")
    text = report.decode()
    summary = text.split("\n---\n")[0]
    assert summary.startswith("# Triage report") and summary.count("](#file-") == 30
    assert "## Migrated values" not in text and "### Migrated values" not in text
    # The zip: only the files the migration changed, redacted by default.
    changed = [r for r in rows if r["Status"] in (STATUS_LABEL["migrated"], STATUS_LABEL["needs-input"])]
    button = main.locator('[data-testid="stDownloadButton"]', has_text="Redacted changed files")
    label = button.inner_text()
    name, zipped = session.download("Redacted changed files")
    names = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert name == "migrated-values-redacted.zip" and all(n.endswith(".redacted.yaml") for n in names)
    assert 0 < len(names) <= len(changed) and label.endswith(f".zip, {len(names)})")
    assert not any("airflow" in n or "broken" in n for n in names)
    session.screenshot(
        "triage", max_height=1700, anchor=main.get_by_role("heading", name="Triage customers' values files")
    )
    # Filter by status: only the unreadable one.
    pills = main.locator('[data-testid="stButtonGroup"]')
    for _ in range(10):
        active = pills.locator('button[aria-pressed="true"]').filter(has_not_text="Cannot read")
        if active.count() == 0:
            break
        active.first.click()
        session.idle()
        page.wait_for_timeout(300)
    rows_shown = main.locator('[data-testid="stExpander"] summary', has_text=" — ")
    assert rows_shown.count() == 1 and "customer-26-broken.yaml" in rows_shown.first.inner_text()
    with capsys.disabled():
        print(
            f"\n[triage] 30 files (one zip in a zip skipped): table, counts and exports in {elapsed:.1f} s; "
            f"combined report {len(report) / 1024:.0f} KB; {len(names)} changed files in the zip"
        )
    assert elapsed < THIRTY_BOUND_S
