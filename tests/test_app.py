"""The web app through Streamlit's AppTest: every page and every state, no browser.

Also the app's pure helpers (webui/files.py, webui/triage.py, webui/verdict.py, the Markdown
escaping and the download payloads). The analyses run in the app's worker pool (fresh
processes), as they do in the server; the expected values come from the engine itself.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import migrator
from migrator.changes.change import GUIDE_URL
from migrator.chart import packages
from migrator.errors import InputError
from migrator.report.model import ChartFit, Detection, Finding, Report
from tests.samples import PLANTED, PLANTED_VALUES, VISIBLE, relabelled_package
from webui import analysis, files, report_view, triage, verdict
from webui import downloads as download_offers
from webui import text as webtext

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"
GUIDE = ROOT.parent / "shared" / "UPGRADE-guide-0.48.md"
LEGACY = (EXAMPLES / "values-0.17-era.yaml").read_bytes()
ERA24 = (EXAMPLES / "values-0.24-era.yaml").read_bytes()
CURRENT = (EXAMPLES / "values-current.yaml").read_bytes()
AIRFLOW = CORPUS / "bitnami--airflow--values.yaml"
DEFAULTS_048 = CORPUS / "adaptive--values-0.48.2.yaml"
PASSWORD = "not-a-real-password"  # in every example, under secrets.db / dbUrl
BLOCKED = b"harmony:\n  replicaCount: 2\n  computePools:\n    - name: x\n      replicas: 3\n"
DUPLICATE = b"harmony:\n  enabled: true\nharmony:\n  enabled: false\n"
HOSTILE = "<img src=x onerror=alert(1)>"
TIMEOUT = 120

# Distinct fake secrets, one of each kind the page must never show while masked, and two
# values under `secrets:` that are not secrets and must be shown (tests/browser plants the same).


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, data: bytes, key: str = "up_file") -> AppTest:
    at.file_uploader(key=key).set_value((name, data, "application/x-yaml"))
    at.run()
    assert not at.exception, at.exception
    return at


def paste(at: AppTest, text: str) -> AppTest:
    at.radio(key="up_source").set_value("Paste text").run()
    at.text_area(key="up_text").input(text).run()
    assert not at.exception, at.exception
    return at


def subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def all_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def unescape(value):
    return re.sub(r"\\(.)", r"\1", value) if isinstance(value, str) else value


def html_bodies(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def downloads(at: AppTest) -> dict[str, str]:
    return {d.label: d.proto.url for d in at.get("download_button")}


def dataframes(at: AppTest) -> list:
    """The read-only tables (the triage results; not the per-file names editor)."""
    return [d.value for d in at.dataframe if "Status" in d.value.columns]


def tables(at: AppTest) -> list:
    """The static tables, their Markdown escaping undone (cells are escaped with webtext.md)."""
    return [t.value.map(unescape) for t in at.table]


def reports(at: AppTest, store: str = analysis.SESSION_CACHE_KEY) -> list[Report]:
    """The reports this session's memo holds, oldest first."""
    return [v for v, _ in at.session_state[store].values() if isinstance(v, Report)]


def in_order(at: AppTest) -> list[tuple[str, str]]:
    """Every element of the last run, depth first, as (type, text): the order on the page."""
    out: list[tuple[str, str]] = []

    def walk(node) -> None:
        kind = getattr(node, "type", "")
        value = getattr(node, "value", None) if kind not in ("expander", "dataframe", "table") else None
        label = getattr(node, "label", None) if kind == "expander" else None
        if kind and kind not in ("block", "container", "vertical", "horizontal"):
            out.append((kind, str(value if value is not None else label or "")))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def everything_sent(at: AppTest) -> str:
    """Every element's protobuf (texts, HTML, table bytes) of the last run, as one string."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(repr(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def from_key(at: AppTest) -> str:
    keys = [s.key for s in at.selectbox if s.key and s.key.startswith("up_from_")]
    assert len(keys) == 1, keys
    return keys[0]


# ---------------------------------------------------------------------------
# Upgrade page


def test_empty_state_invites_input_and_shows_no_result():
    at = new_app()
    assert at.title[0].value == "Upgrade your values file"
    assert any("Upload, paste or pick" in i.value and "5 MiB" in i.value for i in at.info)
    assert "Verdict" not in subheaders(at)
    assert at.text_input(key="up_release").value == "adaptive"
    assert at.text_input(key="up_namespace").value == "default"
    assert at.selectbox(key="up_target").value == packages.newest_version()
    assert at.toggle(key="reveal_secrets").value is False
    assert at.file_uploader(key="up_file").proto.max_upload_size_mb == files.UPLOADER_MB


def test_legacy_upload_verdict_checklist_cluster_cards_diff_pools_downloads():
    at = upload(new_app(), "values.yaml", LEGACY)
    expected = migrator.analyze(LEGACY, name="values.yaml")
    assert expected.status == "needs-input"
    assert subheaders(at) == [
        "Verdict",
        "What to do now",
        "Downloads",
        "What the upgrade does to your cluster",
        "Breaking changes that apply",
        "Differences",
        "Pool preview",
    ]
    # The banner follows the status: needs input, in orange, never calm.
    assert any("Needs your input" in w.value for w in at.warning)
    assert not at.success and not any("Migrated" in i.value for i in at.info)
    text = all_markdown(at)
    assert "detected chart range" in text
    # The checklist: one item per next step, fills with their line, the command copyable.
    fills = [s for s in expected.next_steps if s.kind == "fill"]
    assert fills and any(s.line for s in fills)
    for step in fills:
        assert f"**`{step.path}`**" in text
        if step.line:
            assert f"line {step.line} of the migrated file" in unescape(text)
    commands = [c.value for c in at.code if c.value.startswith("helm upgrade")]
    assert commands == [
        f"helm upgrade adaptive oci://ghcr.io/adaptive-ml/adaptive --version {expected.target} "
        "-n default -f values.migrated.yaml"
    ]
    assert "--reuse-values" in unescape(text)
    # The guide's section of each change that applies.
    assert f"{GUIDE_URL}#017x-to-0180" in text and f"{GUIDE_URL}#024x-to-0250" in text
    # One card per applied change, with what was done and what is left by hand.
    applying = [c for c in expected.changes if c.status != "not-needed"]
    assert text.count("**What the assistant did**") == len(applying)
    assert "0\\.18\\.0 · Database settings split" in text
    # The diff: aligned rows with changed/added/removed kinds; the pool preview with totals.
    body = html_bodies(at)
    assert 'class="sbs-diff"' in body and "values.migrated.yaml (migrated)" in body
    for kind in ("changed", "added"):
        assert f'data-kind="{kind}"' in body
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Pools": "1", "Pods": "2", "GPUs": "8"}
    assert set(downloads(at)) == {
        "Migrated values",
        "Redacted copy (for sharing)",
        "Report (Markdown)",
        "Report (JSON)",
    }


def test_the_cluster_section_renders_proof_and_ledger():
    at = upload(new_app(), "values.yaml", LEGACY)
    expected = migrator.analyze(LEGACY, name="values.yaml")
    text = unescape(all_markdown(at))
    assert f"Target: the migrated values, chart {expected.target}" in text
    assert f"Now: your original values, chart {expected.source_version}" in text
    # The placeholders Helm rendered, with their lines in the migrated file.
    placeholders = next(df for df in tables(at) if "Line in the migrated file" in df.columns)
    assert list(placeholders["Value"]) == [p.path for p in expected.render.placeholders]
    # The ledger: consequences first, one row per object (an HTML table, every cell escaped).
    ledger = next(
        h.proto.body for h in at.get("html") if "<th" in h.proto.body and "Consequence" in h.proto.body
    )
    rows = re.findall(r"<tr>(.*?)</tr>", ledger.split("<tbody>")[1])
    cells = [re.findall(r"<td>(.*?)</td>", r) for r in rows]
    consequential = [e for e in expected.ledger if e.severity != "info"]
    assert [c[2] for c in cells] == [html.escape(f"{e.kind}/{e.name}") for e in consequential]
    renamed = next(e for e in expected.ledger if e.change == "renamed")
    row = next(c for c in cells if c[2] == f"{renamed.kind}/{renamed.name}")
    assert row[3] == f"{renamed.new_kind}/{renamed.new_name}" and row[0] == renamed.severity
    assert "<code>" in row[4]  # the engine's code spans, as code
    # A changed object's field diff, on demand (the expanders are lazy).
    exp = next(e for e in at.expander if e.label.startswith(f"{renamed.kind}/"))
    digest = hashlib.sha256(f"{renamed.kind}/{renamed.name}".encode()).hexdigest()[:12]
    assert not any("Field" in df.columns and "Before" in df.columns for df in tables(at))
    at.session_state[f"up_obj_{digest}"] = True
    at.run()
    fields = next(df for df in tables(at) if "Before" in df.columns)
    assert "metadata.name" in set(fields["Field"])
    assert exp.label


def test_the_source_version_selector_reanalyses_from_that_version():
    at = upload(new_app(), "values.yaml", LEGACY)
    expected = migrator.analyze(LEGACY, name="values.yaml")
    key = from_key(at)
    selector = at.selectbox(key=key)
    assert selector.value == expected.source_version
    assert selector.options[-1] == expected.target
    # Choosing the default again costs no analysis; another version does.
    at.run()
    assert len(reports(at)) == 1
    at.selectbox(key=key).set_value("0.23.0").run()
    assert not at.exception
    latest = reports(at)[-1]
    assert latest.source_version == "0.23.0" and len(reports(at)) == 2
    assert "Now: your original values, chart 0.23.0" in unescape(all_markdown(at))


def test_banner_is_never_calm_beside_a_critical_finding():
    # An up-to-date file, but a namespace Kubernetes refuses: critical, so not green.
    at = upload(new_app(), "current.yaml", CURRENT)
    at.text_input(key="up_namespace").input("Bad_NS").run()
    report = reports(at)[-1]
    assert report.count("critical") >= 1
    assert not at.success
    assert any("critical" in w.value for w in [*at.warning, *at.error])


@pytest.mark.parametrize("path", [DEFAULTS_048, CORPUS / "adaptive--values-0.23.0.yaml"])
def test_the_charts_own_defaults_are_not_calm(path):
    at = upload(new_app(), path.name, path.read_bytes())
    report = reports(at)[-1]
    assert report.count("critical") >= 1
    assert not at.success  # never green "Up to date" beside critical findings
    assert "Verdict" in subheaders(at)


def test_up_to_date_file():
    at = upload(new_app(), "current.yaml", CURRENT)
    report = reports(at)[-1]
    assert report.status == "up-to-date" and report.count("critical") == 0
    assert any("Up to date" in s.value for s in at.success)
    text = all_markdown(at)
    assert "##### Pool training" in text and "##### Pool inference" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pools"] == "2" and metrics["Pods"] == "5" and metrics["GPUs"] == str(2 * 8 + 3 * 2)


def test_blocked_file_offers_no_migrated_file_and_lists_what_to_decide():
    at = paste(new_app(), BLOCKED.decode())
    expected = migrator.analyze(BLOCKED)
    assert expected.status == "blocked"
    assert any("Blocked" in e.value for e in at.error)
    assert "Migrated values" not in downloads(at) and "Report (Markdown)" in downloads(at)
    assert "`conflict`" in all_markdown(at)  # the blocking finding, by its code
    assert not [c for c in at.code if c.value.startswith("helm upgrade")]


def test_another_charts_file_gets_the_engine_verdict():
    at = upload(new_app(), AIRFLOW.name, AIRFLOW.read_bytes())
    expected = migrator.analyze(AIRFLOW.read_bytes(), name=AIRFLOW.name)
    assert reports(at)[-1].status == expected.status
    if expected.status == "not-adaptive":
        assert any("Not an adaptive file" in w.value for w in at.warning)
        assert set(downloads(at)) == {"Report (Markdown)", "Report (JSON)"}
        assert "Differences" not in subheaders(at)


def _not_adaptive_page() -> None:
    from migrator.report.model import ChartFit, Detection, Report
    from webui import report_view

    report = Report(
        source="airflow.yaml",
        detected=Detection(label="unknown", pending=[], evidence=[]),
        target="0.48.2",
        status="not-adaptive",
        fit=ChartFit(
            False,
            "Its keys are another chart's: 3 of 40 top-level keys are read by the chart.",
            known=("ingress",),
            unknown=("airflow", "scheduler"),
        ),
        original_yaml="airflow: {}\n",
        migrated_yaml="airflow: {}\n",
    )
    report_view.render_report(report, name="airflow.yaml", reveal=False, key="na")


def test_not_adaptive_verdict_shows_the_evidence_and_only_the_report():
    at = AppTest.from_function(_not_adaptive_page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("Not an adaptive file" in w.value for w in at.warning)
    assert "another chart" in unescape(all_markdown(at))
    evidence = tables(at)[0]
    assert "airflow, scheduler" in set(evidence["Which"])
    assert set(downloads(at)) == {"Report (Markdown)", "Report (JSON)"}
    assert subheaders(at) == ["Verdict", "Downloads"]


def _limit_page() -> None:
    from webui import report_view
    from webui.analysis import Failure

    report_view.render_failure(
        Failure("The analysis took longer than 5 s and was stopped.", kind="limit"), "x.yaml"
    )


def test_a_time_limit_is_one_message():
    at = AppTest.from_function(_limit_page, default_timeout=TIMEOUT).run()
    assert len(at.error) == 1 and "The analysis was stopped" in at.error[0].value


# -- the names, checked where they are typed


def _position(order: list[tuple[str, str]], kind: str, needle: str) -> int:
    return next(i for i, (k, v) in enumerate(order) if k == kind and needle in v)


def test_an_invalid_release_name_is_said_at_the_field_before_anything_else():
    at = upload(new_app(), "values.yaml", ERA24)
    at.text_input(key="up_release").input("Prod_Release").run()
    errors = [e.value for e in at.error]
    assert any("`invalid-name`" in e and "Prod" in e for e in errors)
    order = in_order(at)
    assert _position(order, "error", "`invalid-name`") < _position(order, "subheader", "Verdict")
    assert _position(order, "text_input", "") < _position(order, "error", "`invalid-name`")


def test_a_long_release_name_shows_the_cut_names_and_the_collision():
    at = upload(new_app(), "values.yaml", ERA24)
    at.text_input(key="up_release").input("customer-production-eu-west-1").run()
    assert any("`name-collision`" in e.value for e in at.error)
    names = next(df for df in tables(at) if "Same name as" in df.columns)
    by_component = dict(zip(names["Component"], names["Name"], strict=True))
    assert by_component["harmony"] == by_component["control plane"] == "customer-production-eu-west-1"
    assert "harmony" in names[names["Component"] == "control plane"]["Same name as"].iloc[0]
    order = in_order(at)
    assert _position(order, "error", "`name-collision`") < _position(order, "subheader", "Verdict")


def test_names_are_checked_before_any_file_is_given():
    at = new_app()
    at.text_input(key="up_release").input("Prod_Release").run()
    assert any("Release name" in e.value and "lowercase" in e.value for e in at.error)
    at.text_input(key="up_release").input("prod").run()
    at.text_input(key="up_namespace").input("ML_Team").run()
    assert any("Namespace" in e.value for e in at.error) and not any("Release" in e.value for e in at.error)


# -- bad input, limits


@pytest.mark.parametrize(
    "data",
    [
        DUPLICATE,
        b"harmony:\n  enabled: [true,\n",
        b"\tkey: 1\n",
        b"- a\n- b\n",
        b"a: 1\nb: [1, 2\nc: 3\nd: 4\n",
        b"key: value\n  bad: indent\nnext: 1\n",
    ],
)
def test_invalid_input_shows_the_engines_line_and_snippet(data):
    with pytest.raises(InputError) as caught:
        migrator.analyze(data)
    err = caught.value
    at = upload(new_app(), "broken.yaml", data)
    assert len(at.error) == 1
    message = unescape(at.error[0].value)
    assert "Cannot read this file" in message and "Traceback" not in message
    assert f"line {err.line}" in message
    if err.snippet is not None:
        # The snippet shown is the engine's, under the line number the engine gave.
        assert [c.value.split("\n")[0] for c in at.code] == [err.snippet]
        assert any(
            c.value.startswith(f"Line {err.line} of the file, where the reader stopped") for c in at.caption
        )
    assert "Verdict" not in subheaders(at) and not at.get("html")


def test_no_stale_result_after_a_bad_input():
    at = paste(new_app(), LEGACY.decode())
    assert "Verdict" in subheaders(at)
    at.text_area(key="up_text").input("a: [1,\n").run()
    assert "Verdict" not in subheaders(at)
    assert not at.get("html") and not at.get("download_button")
    assert len(at.error) == 1


def test_a_file_over_the_engines_limit_gets_a_message_naming_it_in_mib():
    big = b"a: " + b"x" * (files.MAX_VALUES_BYTES + 10) + b"\n"
    at = upload(new_app(), "huge.yaml", big)
    assert len(at.error) == 1
    assert "at most 5 MiB" in at.error[0].value.replace("\\", "")
    assert "Verdict" not in subheaders(at)


def test_a_file_between_5_mb_and_5_mib_is_read():
    # 5,138,049 bytes: over Streamlit's "5 MB" (10^6), under the engine's 5 MiB.
    data = b"a: " + b"x" * (5_138_049 - 4) + b"\n"
    assert len(data) == 5_138_049 < files.MAX_VALUES_BYTES
    at = upload(new_app(), "big.yaml", data)
    assert "Verdict" in subheaders(at)


def test_examples_load_without_upload():
    at = new_app()
    at.radio(key="up_source").set_value("Use an example").run()
    assert "Verdict" in subheaders(at)
    at.selectbox(key="up_example").set_value("values-current.yaml").run()
    assert any("Up to date" in s.value for s in at.success)


def test_helm_get_values_output_is_accepted_and_the_header_noted():
    at = paste(new_app(), "USER-SUPPLIED VALUES:\n" + ERA24.decode())
    assert "Verdict" in subheaders(at)
    assert any("USER-SUPPLIED VALUES:" in c.value for c in at.caption)


# -- a chart package of the user's own


def test_a_chart_package_of_ones_own_is_the_target():
    at = new_app()
    at.file_uploader(key="up_chart").set_value(
        ("adaptive-0.49.0.tgz", relabelled_package("0.49.0"), "application/gzip")
    )
    at.run()
    assert any("chart 0\\.49\\.0" in s.value for s in at.success)
    assert at.selectbox(key="up_target").disabled
    upload(at, "values.yaml", LEGACY)
    assert reports(at)[-1].target == "0.49.0"
    assert "Target: the migrated values, chart 0.49.0" in unescape(all_markdown(at))


def test_a_file_that_is_no_chart_package_is_refused_with_a_message():
    at = new_app()
    at.file_uploader(key="up_chart").set_value(("chart.tgz", b"not a tarball", "application/gzip")).run()
    assert any("Cannot use this chart package" in e.value for e in at.error)
    upload(at, "values.yaml", LEGACY)
    assert "Verdict" not in subheaders(at)


# -- secrets


def test_secrets_masked_by_default_and_revealed_by_the_toggle():
    at = upload(new_app(), "values.yaml", LEGACY)
    body = html_bodies(at)
    assert PASSWORD not in body and "fake-cookie-secret" not in body
    assert "••" in body
    assert any("Secrets are masked" in c.value for c in at.caption)
    at.toggle(key="reveal_secrets").set_value(True).run()
    assert PASSWORD in html_bodies(at)
    assert any("Secrets are shown" in c.value for c in at.caption)
    at.toggle(key="reveal_secrets").set_value(False).run()
    assert PASSWORD not in html_bodies(at)


def _open_everything(at: AppTest, prefix: str) -> None:
    # The lazy expanders (structure, each ledger object) open through their session keys.
    at.session_state[f"{prefix}_structure"] = True
    at.session_state[f"{prefix}_ledger_quiet"] = True
    report = reports(at)[-1]
    for entry in report.ledger:
        digest = hashlib.sha256(f"{entry.kind}/{entry.name}".encode()).hexdigest()[:12]
        at.session_state[f"{prefix}_obj_{digest}"] = True
    at.run()
    assert not at.exception


def test_no_planted_secret_reaches_the_page_while_masked():
    at = upload(new_app(), "planted.yaml", PLANTED_VALUES)
    _open_everything(at, "up")
    sent = everything_sent(at)
    assert "Pool gpu" in sent and "What the upgrade does to your cluster" in sent  # the walk sees it all
    leaks = [what for what, secret in PLANTED.items() if secret in sent]
    assert leaks == [], f"shown while masked: {leaks}"
    for what, value in VISIBLE.items():
        assert value in sent, what
    at.toggle(key="reveal_secrets").set_value(True).run()
    assert PLANTED["secrets.db.password"] in everything_sent(at)


def test_no_secret_of_the_examples_reaches_the_page_while_masked():
    at = upload(new_app(), "values.yaml", LEGACY)
    _open_everything(at, "up")
    sent = everything_sent(at)
    for secret in (PASSWORD, "fake-cookie-secret"):
        assert secret not in sent, secret


# -- pools, names, escaping, sessions

POOL_TROUBLE = b"""\
harmony:
  gpusPerReplica: 8
  tolerations: [{key: a}]
  computePools:
    - name: GPU Pool
      replicas: 0
      tolerations: []
    - name: gpu_pool
      replicas: 2
      resources:
        limits: {cpu: 1}
"""


def test_pool_findings_are_shown_with_their_pool_by_path():
    at = upload(new_app(), "pools.yaml", POOL_TROUBLE)
    report = reports(at)[-1]
    groups = verdict.group_findings(report, {c.id for c in report_view.applying_changes(report)})
    assert groups.by_pool, "no finding about a pool"
    text = all_markdown(at)
    for index, findings in groups.by_pool.items():
        heading = f"##### Pool {webtext.md(report.pools[index].name)}"
        assert heading in text
        section = text[text.index(heading) :]
        for f in findings:
            assert f"`{f.code}`" in section


def test_nested_pool_values_are_yaml_with_where_they_come_from():
    at = upload(new_app(), "current.yaml", CURRENT)
    report = reports(at)[-1]
    pool = report.pools[0]
    assert isinstance(pool.resources, dict) and pool.resources
    block = next(c.value for c in at.code if c.language == "yaml" and c.value.startswith("resources:"))
    first_key = next(iter(pool.resources))
    assert f"\n  {first_key}:\n" in block  # block YAML, not JSON
    assert "{" not in block.split("\n")[1]
    assert "resources:  # " in block and "nodeSelector:" in block and "tolerations:" in block


def test_release_and_namespace_drive_the_preview():
    at = upload(new_app(), "values.yaml", ERA24)
    at.text_input(key="up_release").input("prod").run()
    at.text_input(key="up_namespace").input("ml").run()
    pool_table = next(df for df in tables(at) if "Where it comes from" in df.columns)
    values = dict(zip(pool_table["Field"], pool_table["Value"], strict=True))
    assert values["StatefulSet"] == "prod-adaptive-harmony-default"
    at.session_state["up_pods_0"] = True  # the pods are rendered only while open
    at.run()
    pods = next(df for df in tables(at) if "DNS name" in df.columns)
    assert pods["DNS name"][0].endswith(".ml.svc.cluster.local")


def test_html_in_values_and_file_name_is_text_not_markup():
    evil = ERA24.decode() + f"# {HOSTILE}\ncontrolPlane:\n  rootUrl: 'https://x/{HOSTILE}'\n"
    at = upload(new_app(), f"{HOSTILE}.yaml", evil.encode())
    body = html_bodies(at)
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    for m in at.markdown:
        assert "<img" not in m.value
    report = migrator.analyze(evil.encode(), name=f"{HOSTILE}.yaml")
    for d in download_offers.downloads(report, f"{HOSTILE}.yaml"):
        file_name = d.file_name
        assert "<" not in file_name and "/" not in file_name and " " not in file_name


def test_sessions_keep_their_own_results():
    a = upload(new_app(), "a.yaml", LEGACY)
    b = upload(new_app(), "b.yaml", CURRENT)
    assert [r.source for r in reports(a)] == ["a.yaml"]
    assert [r.source for r in reports(b)] == ["b.yaml"]


def test_session_cache_is_bounded_in_entries():
    at = new_app()
    at.radio(key="up_source").set_value("Paste text").run()
    for i in range(analysis.SESSION_CACHE_ENTRIES + 3):
        at.text_area(key="up_text").input(f"harmony:\n  replicaCount: {i + 1}\n").run()
    assert len(at.session_state[analysis.SESSION_CACHE_KEY]) == analysis.SESSION_CACHE_ENTRIES


def test_the_server_process_never_loads_helm():
    """Every analysis runs in a worker: a fresh interpreter runs the page and never imports Helm."""
    script = textwrap.dedent(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=120)
        at.run()
        data = open({str(EXAMPLES / "values-0.17-era.yaml")!r}, "rb").read()
        at.file_uploader(key="up_file").set_value(("v.yaml", data, "text/yaml"))
        at.run()
        assert not at.exception, at.exception
        assert "Verdict" in [s.value for s in at.subheader]
        loaded = [m for m in sys.modules if m.startswith("helm_python")]
        maps = [line for line in open("/proc/self/maps") if "libhelm" in line]
        print("helm modules:", loaded, "mapped:", len(maps))
        assert not loaded and not maps
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------
# Triage page


def triage_app() -> AppTest:
    at = new_app()
    at.switch_page("app_pages/triage.py").run()
    assert not at.exception
    return at


def triage_upload(at: AppTest, items: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key="tri_files").set_value([(n, d, "application/x-yaml") for n, d in items]).run()
    assert not at.exception, at.exception
    return at


def test_triage_empty():
    at = triage_app()
    assert at.title[0].value == "Triage customers' values files"
    assert any("Upload one or more files" in i.value for i in at.info)


def test_triage_three_files_one_invalid():
    at = triage_upload(
        triage_app(), [("legacy.yaml", LEGACY), ("broken.yaml", DUPLICATE), ("current.yaml", CURRENT)]
    )
    table = dataframes(at)[0]
    assert list(table.columns) == triage.COLUMNS
    assert list(table["File"]) == ["legacy.yaml", "broken.yaml", "current.yaml"]
    expected = {
        "legacy.yaml": webtext.status_label(migrator.analyze(LEGACY).status),
        "broken.yaml": "Cannot read",
        "current.yaml": "Up to date",
    }
    assert dict(zip(table["File"], table["Status"], strict=True)) == expected
    problem = dict(zip(table["File"], table["Most severe finding"], strict=True))
    assert "line 3" in problem["broken.yaml"] and "duplicate key" in problem["broken.yaml"]
    # Counts are numbers, 0 and not None, also for the unreadable file.
    for column in ("Critical", "Warnings", "Pools", "GPUs"):
        assert all(isinstance(v, int) for v in table[column]), column
    gpus = dict(zip(table["File"], table["GPUs"], strict=True))
    assert gpus == {"legacy.yaml": 8, "broken.yaml": 0, "current.yaml": 22}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files"] == "3" and metrics["Up to date"] == "1" and metrics["Cannot read"] == "1"
    assert metrics["Blocked"] == "0"
    # The same words in the rows as in the table.
    labels = [unescape(e.label) for e in at.expander if " — " in e.label]
    assert labels == [f"{name} — {status}" for name, status in expected.items()]
    assert "Verdict" not in subheaders(at)  # rows are rendered only when opened


def test_triage_exports_csv_and_a_combined_report_without_the_files():
    entries = [
        triage.Entry(files.InputFile("legacy.yaml", LEGACY), "adaptive", "default", migrator.analyze(LEGACY)),
        triage.Entry(
            files.InputFile("broken.yaml", DUPLICATE),
            "adaptive",
            "default",
            analysis.Failure("duplicate key", line=3, column=1),
        ),
        triage.Entry(files.InputFile("=cmd.yaml", CURRENT), "prod", "ml", migrator.analyze(CURRENT)),
    ]
    rows = list(csv.DictReader(io.StringIO(triage.csv_text(entries))))
    assert [r["File"] for r in rows] == ["legacy.yaml", "broken.yaml", "'=cmd.yaml"]  # no formula
    assert rows[1]["Critical"] == "0" and rows[2]["Release"] == "prod" and rows[2]["Namespace"] == "ml"
    text = triage.combined_report(entries, [files.Skipped("a.zip/inner.zip", "an archive inside")], "0.48.2")
    head = text.split("\n---\n")[0]
    assert head.startswith("# Triage report") and "## Summary" in head
    assert "[legacy.yaml](#file-1)" in head and '<a id="file-1"></a>' in text
    assert "a.zip/inner.zip" in head
    assert "## Migrated values" not in text and "### Migrated values" not in text
    assert PASSWORD not in text
    assert text.count("\n## 1. ") == 1 and "\n## Values upgrade report" in text  # demoted from #


def test_triage_zip_with_a_nested_archive_and_other_files():
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep/values.yaml", ERA24)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("customer-a/values.yaml", LEGACY)
        zf.writestr("customer-b/values.yaml", CURRENT)
        zf.writestr("customer-c/more.zip", inner.getvalue())
        zf.writestr("README.md", "not a values file")
    at = triage_app()
    at.file_uploader(key="tri_files").set_value([("batch.zip", buf.getvalue(), "application/zip")]).run()
    assert not at.exception
    table = dataframes(at)[0]
    assert list(table["File"]) == ["batch.zip/customer-a/values.yaml", "batch.zip/customer-b/values.yaml"]
    skipped = next(df for df in tables(at) if "Why" in df.columns)
    why = dict(zip(skipped["Item"], skipped["Why"], strict=True))
    assert "archive inside an archive" in why["batch.zip/customer-c/more.zip"]
    assert "not a values file" in why["batch.zip/README.md"]


def test_triage_zip_of_changed_files_is_redacted_by_default():
    at = triage_upload(triage_app(), [("legacy.yaml", LEGACY), ("current.yaml", CURRENT)])
    labels = set(downloads(at))
    assert "Redacted changed files (.zip, 1)" in labels
    assert not at.warning
    at.radio(key="tri_zip_kind").set_value(at.radio(key="tri_zip_kind").options[1]).run()
    assert any("secrets" in w.value for w in at.warning)
    assert "Complete changed files (.zip, 1)" in set(downloads(at))
    entries = [
        triage.Entry(files.InputFile("legacy.yaml"), "adaptive", "default", migrator.analyze(LEGACY)),
        triage.Entry(files.InputFile("current.yaml"), "adaptive", "default", migrator.analyze(CURRENT)),
    ]
    redacted = dict(triage.changed_files(entries, redacted=True))
    complete = dict(triage.changed_files(entries, redacted=False))
    assert list(redacted) == ["legacy.migrated.redacted.yaml"] and list(complete) == ["legacy.migrated.yaml"]
    assert PASSWORD.encode() not in redacted["legacy.migrated.redacted.yaml"]
    assert PASSWORD.encode() in complete["legacy.migrated.yaml"]


def test_triage_status_filter():
    at = triage_upload(triage_app(), [("legacy.yaml", LEGACY), ("current.yaml", CURRENT)])
    pills = at.button_group[0]
    assert set(pills.value) == {migrator.analyze(LEGACY).status, "up-to-date"}
    pills.set_value(["up-to-date"]).run()
    assert list(dataframes(at)[0]["File"]) == ["current.yaml"]


def test_triage_over_the_upload_cap_analyses_nothing():
    big = [(f"f{i}.yaml", b"a: " + b"x" * (4 * files.MIB) + b"\n") for i in range(7)]  # 28 MiB
    at = triage_upload(triage_app(), big)
    assert any("25 MiB" in e.value for e in at.error)
    assert not dataframes(at)


def test_triage_row_opens_to_the_full_analysis():
    at = triage_upload(triage_app(), [("legacy.yaml", LEGACY), ("broken.yaml", DUPLICATE)])
    for n in ("legacy.yaml", "broken.yaml"):
        at.session_state[f"tri_open_{hashlib.sha256(n.encode()).hexdigest()[:16]}"] = True
    at.run()
    assert not at.exception
    assert "Verdict" in subheaders(at) and "Pool preview" in subheaders(at)
    assert any("Cannot read this file" in e.value for e in at.error)


def test_triage_escapes_hostile_file_names():
    at = triage_upload(triage_app(), [(f"{HOSTILE}.yaml", LEGACY)])
    label = [e.label for e in at.expander if " — " in e.label][-1]
    assert "\\<img" in label and not re.search(r"(?<!\\)[<>\[\]()]", label)
    assert list(dataframes(at)[0]["File"]) == [f"{HOSTILE}.yaml"]


# ---------------------------------------------------------------------------
# Breaking-changes page


def test_changes_page_is_generated_from_the_catalogue():
    at = new_app()
    at.switch_page("app_pages/changes.py").run()
    assert not at.exception
    headers = "\n".join(h.value for h in at.header)
    text = all_markdown(at)
    for change in migrator.catalogue():
        assert webtext.md_rich(change.title) in headers and webtext.md(change.version) in headers
        for step in change.manual_steps:
            assert webtext.md_rich(step) in text
    examples = [c for c in migrator.catalogue() if c.example_before or c.example_after]
    assert len(at.get("html")) == len(examples)


def test_changes_page_compares_two_versions_and_offers_the_schema():
    from migrator.changes.registry import change_migrating
    from migrator.chart import catalogue, schema

    at = new_app()
    at.switch_page("app_pages/changes.py").run()
    diff = catalogue.diff_versions("0.23.0", packages.newest_version())
    text = all_markdown(at)
    for path in diff.removed:
        dotted = catalogue.dotted(path)
        change = change_migrating(path)
        line = next(line for line in text.splitlines() if line.startswith(f"- `{dotted}`:"))
        assert (f"(#change-{change})" in line) if change else ("not automated" in line)
    for path in diff.added:
        assert f"- `{catalogue.dotted(path)}`" in text
    assert any("Defaults changed" in m.value for m in at.markdown)
    assert "values.schema.json for chart" in " ".join(downloads(at))
    at.selectbox(key="ch_schema").set_value("0.30.0").run()
    assert "values.schema.json for chart 0.30.0" in downloads(at)
    assert json.loads(schema.values_schema_json("0.30.0"))["type"] == "object"


def test_no_legacy_pages_folder():
    # A pages/ folder beside app.py switches a fresh server's first run to the
    # legacy multipage mode (seen in the browser: /triage without our navigation).
    assert not (ROOT / "pages").exists()


def test_navigation_defaults_to_upgrade_and_back():
    at = new_app()
    at.switch_page("app_pages/changes.py").run()
    at.switch_page("app_pages/upgrade.py").run()
    assert at.title[0].value == "Upgrade your values file"


# ---------------------------------------------------------------------------
# pure helpers


def test_download_payloads_mask_all_but_the_migrated_values():
    report = migrator.analyze(LEGACY, name="values.yaml")
    # The bytes are made on click (deferred downloads): nothing is kept per session.
    payloads = {d.label: (d.file_name, d.make()) for d in download_offers.downloads(report, "values.yaml")}
    name, data = payloads["Migrated values"]
    assert name == "values.migrated.yaml" and data == report.migrated_yaml.encode("utf-8")
    assert PASSWORD.encode() in data
    for label in ("Redacted copy (for sharing)", "Report (Markdown)", "Report (JSON)"):
        assert PASSWORD.encode() not in payloads[label][1], label
    assert json.loads(payloads["Report (JSON)"][1])["status"] == report.status


@pytest.mark.parametrize(
    ("upload_name", "migrated"),
    [
        ("values.yaml", "values.migrated.yaml"),
        ("prod.yml", "prod.migrated.yml"),
        ("helm-values.txt", "helm-values.migrated.yaml"),
        ("x.json", "x.migrated.yaml"),
        ("../../etc/passwd", "passwd.migrated.yaml"),
        ("C:\\Users\\me\\values.yaml", "values.migrated.yaml"),
        (f"{HOSTILE}.yaml", "img_src_x_onerror_alert_1.migrated.yaml"),
        ("", "values.migrated.yaml"),
        ("<>.yaml", "values.migrated.yaml"),
    ],
)
def test_migrated_names(upload_name, migrated):
    assert files.migrated_name(upload_name) == migrated


def test_markdown_escaping():
    hostile = "[x](javascript:alert(1)) ![i](http://e/x.png) :red[boom] $x^2$ <b>b</b> **s** # h"
    out = webtext.md(hostile)
    for ch in "[]()!:$<>*#":
        assert ch not in out.replace("\\" + ch, "")
    assert webtext.md("a\nb") == "a b"
    assert webtext.md_rich("use `secrets.db` now.") == "use `secrets.db` now\\."
    assert webtext.md_rich("odd ` tick") == "odd \\` tick"


def test_expand_uploads_limits_and_skipped():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.yaml", b"a: 1\n")
        zf.writestr("__MACOSX/._a.yaml", b"junk")
        zf.writestr("big.yaml", b"a" * (files.MAX_VALUES_BYTES + 1))
        zf.writestr("nested.zip", b"PK")
        zf.writestr("notes.md", b"# hi")
    out = files.expand_uploads(
        [
            ("one.yaml", b"x: 1\n"),
            ("one.yaml", b"x: 2\n"),
            ("batch.zip", buf.getvalue()),
            ("bad.zip", b"nope"),
        ]
    )
    assert out.refused is None
    assert [f.name for f in out.files] == [
        "one.yaml",
        "one.yaml (2)",
        "batch.zip/a.yaml",
        "batch.zip/big.yaml",
        "bad.zip",
    ]
    assert out.files[2].data == b"a: 1\n"
    assert out.files[3].error and "5 MiB" in out.files[3].error
    assert out.files[4].error and "zip" in out.files[4].error
    assert {s.name: s.reason.split(":")[0] for s in out.skipped} == {
        "batch.zip/__MACOSX/._a.yaml": "a hidden file or macOS metadata",
        "batch.zip/nested.zip": "an archive inside an archive",
        "batch.zip/notes.md": "not a values file (.yaml, .yml, .json or .txt)",
    }
    # The members count unpacked toward the upload's cap: a small zip of big files is refused.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(6):
            zf.writestr(f"f{i}.yaml", b"a: " + b"x" * (5 * files.MIB - 10))
    assert len(bomb.getvalue()) < files.MIB
    refused = files.expand_uploads([("bomb.zip", bomb.getvalue())])
    assert refused.refused and "25 MiB" in refused.refused and refused.files == []
    archive = zipfile.ZipFile(io.BytesIO(files.zip_bytes([("v.yaml", b"1"), ("v.yaml", b"2")])))
    assert archive.namelist() == ["v.yaml", "v-2.yaml"]


def test_findings_are_grouped_by_change_pool_object_and_name_field():
    detection = Detection(label="x", pending=[], evidence=[])
    report = Report(source="x", detected=detection, target="0.48.2", status="migrated")
    report.pools = [replace(migrator.analyze(CURRENT).pools[0])]
    report.findings = [
        Finding("a", "warning", ("secrets", "dbUrl"), "m", change_id="db-config-split"),
        Finding("b", "critical", ("harmony", "computePools", 0, "name"), "m"),
        Finding("c", "warning", ("harmony", "computePools", 5), "m"),  # no such pool
        Finding("d", "warning", None, "m", object="Service/x"),
        Finding("e", "critical", ("release",), "m"),  # invalid-name only goes to the field
        Finding("invalid-name", "critical", ("release",), "m"),
        Finding(
            "f", "info", ("harmony", "computePools", 0), "message naming pool gpu", change_id="not-shown"
        ),
    ]
    groups = verdict.group_findings(report, {"db-config-split"})
    assert [f.code for f in groups.at_field] == ["invalid-name"]
    assert [f.code for f in groups.by_change["db-config-split"]] == ["a"]
    assert [f.code for f in groups.by_pool[0]] == ["b", "f"]  # criticals first
    assert [f.code for f in groups.cluster] == ["d"]
    assert [f.code for f in groups.other] == ["e", "c"]


def test_guide_anchors_are_the_guides_own_headings():
    headings = [line.lstrip("#").strip() for line in GUIDE.read_text().splitlines() if line.startswith("## ")]
    anchors = {"#" + re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
    linked = [c for c in migrator.catalogue() if c.guide_section]
    assert len(linked) >= 6
    for change in linked:
        anchor, words = change.guide_section
        assert anchor in anchors, change.id
        assert words.split(":")[0] in headings, change.id
    assert next(c for c in migrator.catalogue() if c.version == "0.38.3").guide_section is None


def test_memo_is_bounded_in_bytes():
    from streamlit.testing.v1 import AppTest as _AppTest

    def page() -> None:
        import streamlit as st

        from webui import analysis

        for i in range(6):
            analysis.session_memo("_big", str(i), lambda i=i: "x" * (20 * 1024 * 1024) + str(i))
        st.write(sum(w for _, w in st.session_state["_big"].values()))

    at = _AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert not at.exception
    total = sum(w for _, w in at.session_state["_big"].values())
    assert total <= analysis.SESSION_CACHE_BYTES and len(at.session_state["_big"]) >= 1


def test_fit_dataclass_is_what_the_page_reads():
    fit = ChartFit(False, "evidence")
    assert fit.unknown == () and fit.known == () and fit.versions == ()
