"""The web app through Streamlit's AppTest: every page and every state, no browser.

Also the app's pure helpers (webui/files.py, the Markdown escaping and the
download payloads of webui/components.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import migrator
from webui import components as ui
from webui import files

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EXAMPLES = ROOT / "examples"
LEGACY = (EXAMPLES / "values-0.17-era.yaml").read_bytes()
ERA24 = (EXAMPLES / "values-0.24-era.yaml").read_bytes()
CURRENT = (EXAMPLES / "values-current.yaml").read_bytes()
PASSWORD = "not-a-real-password"  # in every example, under secrets.db / dbUrl
BLOCKED = b"harmony:\n  replicaCount: 2\n  computePools:\n    - name: x\n      replicas: 3\n"
DUPLICATE = b"harmony:\n  enabled: true\nharmony:\n  enabled: false\n"
HOSTILE = "<img src=x onerror=alert(1)>"
TIMEOUT = 60


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


def html_bodies(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def downloads(at: AppTest) -> dict[str, str]:
    return {d.label: d.proto.url for d in at.get("download_button")}


def dataframes(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def unescape(value):
    return re.sub(r"\\(.)", r"\1", value) if isinstance(value, str) else value


def tables(at: AppTest) -> list:
    """The static tables, their Markdown escaping undone (cells are escaped with ui.md)."""
    return [t.value.map(unescape) for t in at.table]


# ---------------------------------------------------------------------------
# Upgrade page


def test_empty_state_invites_input_and_shows_no_result():
    at = new_app()
    assert at.title[0].value == "Upgrade your values file"
    assert any("Upload, paste or pick" in i.value for i in at.info)
    assert "Verdict" not in subheaders(at)
    # The controls: source, release name, namespace, target (default newest), secrets toggle.
    assert at.text_input(key="up_release").value == "adaptive"
    assert at.text_input(key="up_namespace").value == "default"
    assert at.selectbox(key="up_target").value == migrator.versions.latest()
    assert at.toggle(key="reveal_secrets").value is False


def test_legacy_upload_is_migrated_with_verdict_cards_diff_pools_and_downloads():
    at = upload(new_app(), "values.yaml", LEGACY)
    heads = subheaders(at)
    assert heads[:2] == ["Verdict", "Downloads"]  # the verdict first
    for section in ("Breaking changes that apply", "Differences", "Pool preview"):
        assert section in heads
    assert any("Migration ready" in i.value for i in at.info)
    text = all_markdown(at)
    assert "Detected chart range" in text and "before 0\\.18\\.0" in text
    # One card per applied change, with version, explanation, what was done, manual steps.
    assert "0\\.18\\.0 · Database settings split" in text
    assert "0\\.25\\.0 · Harmony compute pools" in text
    applying = [c for c in migrator.analyze(LEGACY).changes if c.status != "not-needed"]
    assert len(applying) >= 2
    assert text.count("**What the assistant did**") == len(applying)
    assert text.count("**What you must still do by hand**") == len(applying)
    assert "db\\-url\\-params\\-dropped" in text or "`db-url-params-dropped`" in text
    # The diff: aligned rows with changed/added/removed kinds.
    body = html_bodies(at)
    assert 'class="sbs-diff"' in body
    for kind in ("changed", "added", "removed"):
        assert f'data-kind="{kind}"' in body
    assert "values.migrated.yaml (migrated)" in body
    # The pool preview: one table, with totals.
    assert "##### Pool gpu\\-workers" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Pools": "1", "Pods": "2", "GPUs": "8"}
    pool_table = next(df for df in tables(at) if "Where it comes from" in df.columns)
    by_field = dict(zip(pool_table["Field"], pool_table["Where it comes from"], strict=True))
    assert by_field["Replicas"] == "overridden in this pool"
    assert by_field["GPUs per replica"] == "inherited from harmony"
    assert by_field["Node selector"] == "chart default"
    # Downloads, named from the upload.
    assert set(downloads(at)) == {
        "Migrated values",
        "Redacted copy (for sharing)",
        "Report (Markdown)",
        "Report (JSON)",
    }


def test_structural_view_lists_moves_by_pool_name():
    at = upload(new_app(), "values.yaml", LEGACY)
    assert not any("From" in df.columns for df in tables(at))  # rendered only when opened
    at.session_state["up_structure"] = True
    at.run()
    structural = next(df for df in tables(at) if "Change" in df.columns and "From" in df.columns)
    moved = structural[structural["Change"] == "moved"]
    assert ("harmony.group", "harmony.computePools[name=gpu-workers].name") in set(
        zip(moved["From"], moved["Path"], strict=True)
    )
    assert "dropped" in set(structural["Change"])


def test_up_to_date_file():
    at = upload(new_app(), "current.yaml", CURRENT)
    assert any("Up to date" in s.value for s in at.success)
    assert not at.error
    text = all_markdown(at)
    assert "##### Pool training" in text and "##### Pool inference" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pools"] == "2" and metrics["Pods"] == "5" and metrics["GPUs"] == str(2 * 8 + 3 * 2)
    assert "Migrated values" in downloads(at)


def test_blocked_file_needs_a_decision_and_offers_no_migrated_file():
    at = paste(new_app(), BLOCKED.decode())
    errors = [e.value for e in at.error]
    critical = migrator.analyze(BLOCKED).count("critical")
    assert critical >= 1
    assert any("Needs your decision" in e and f"{critical} critical" in e for e in errors)
    assert "Migrated values" not in downloads(at)
    assert "Report (Markdown)" in downloads(at)
    assert any("`conflict`" in m.value for m in at.markdown)  # the blocking finding, by its code


@pytest.mark.parametrize(
    ("data", "expected", "snippet"),
    [
        (DUPLICATE, "line 3, column 1", "harmony:"),
        (b"harmony:\n  enabled: [true,\n", "line 3", None),
        (b"\tkey: 1\n", "tab", "\tkey: 1"),
        (b"- a\n- b\n", "top level is a list", "- a"),
    ],
)
def test_invalid_input_shows_one_clear_error_with_line_and_snippet(data, expected, snippet):
    at = upload(new_app(), "broken.yaml", data)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Cannot read this file" in message and expected in message.replace("\\", "")
    assert "Traceback" not in message
    if snippet is not None:
        assert any(snippet in c.value for c in at.code)
    assert "Verdict" not in subheaders(at)
    assert not at.get("html")


def test_no_stale_result_after_a_bad_input():
    at = paste(new_app(), LEGACY.decode())
    assert "Verdict" in subheaders(at)
    at.text_area(key="up_text").input("a: [1,\n").run()
    assert "Verdict" not in subheaders(at)
    assert not at.get("html") and not at.get("download_button")
    assert len(at.error) == 1


def test_oversized_upload_gets_a_clear_message():
    big = b"a: " + b"x" * (files.MAX_UPLOAD_BYTES + 10) + b"\n"
    at = upload(new_app(), "huge.yaml", big)
    assert len(at.error) == 1
    assert "at most 5 MB" in at.error[0].value
    assert "Verdict" not in subheaders(at)


def test_examples_load_without_upload():
    at = new_app()
    at.radio(key="up_source").set_value("Use an example").run()
    assert any("Migration ready" in i.value for i in at.info)  # the 0.17-era example comes first
    at.selectbox(key="up_example").set_value("values-current.yaml").run()
    assert any("Up to date" in s.value for s in at.success)
    at.selectbox(key="up_example").set_value("values-0.24-era.yaml").run()
    assert any("Migration ready" in i.value for i in at.info)


def test_helm_get_values_output_is_accepted_and_the_header_noted():
    at = paste(new_app(), "USER-SUPPLIED VALUES:\n" + ERA24.decode())
    assert "Verdict" in subheaders(at)
    assert any("USER-SUPPLIED VALUES:" in c.value for c in at.caption)


def test_secrets_masked_by_default_and_revealed_by_the_toggle():
    at = upload(new_app(), "values.yaml", LEGACY)
    body = html_bodies(at)
    assert PASSWORD not in body and "fake-cookie-secret" not in body
    assert "••" in body
    assert any("Secrets are masked" in c.value for c in at.caption)
    at.toggle(key="reveal_secrets").set_value(True).run()
    body = html_bodies(at)
    assert PASSWORD in body
    assert any("Secrets are shown" in c.value for c in at.caption)
    at.toggle(key="reveal_secrets").set_value(False).run()
    assert PASSWORD not in html_bodies(at)


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


def test_no_secret_reaches_the_page_while_masked():
    at = upload(new_app(), "values.yaml", LEGACY)
    at.session_state["up_structure"] = True  # the structural view too
    at.run()
    sent = everything_sent(at)
    assert "secrets.dbUrl" in sent and "Pool gpu" in sent  # the walk does see the page
    for secret in (PASSWORD, "adaptive_app", "fake-cookie-secret", "db.example.internal"):
        assert secret not in sent, secret
    at.toggle(key="reveal_secrets").set_value(True).run()
    assert PASSWORD in everything_sent(at)


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


def test_pool_problems_are_shown_with_their_pool():
    at = upload(new_app(), "pools.yaml", POOL_TROUBLE)
    text = all_markdown(at)
    assert "##### Pool GPU Pool" in text and "##### Pool gpu\\_pool" in text
    for code in ("name-collision", "replicas-zero", "empty-override-ignored", "requests-dropped"):
        assert f"`{code}`" in text, code
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pods"] == "3"  # replicas: 0 deploys one


def test_release_and_namespace_drive_the_preview():
    at = upload(new_app(), "values.yaml", ERA24)
    at.text_input(key="up_release").input("prod").run()
    at.text_input(key="up_namespace").input("ml").run()
    pool_table = next(df for df in tables(at) if "Where it comes from" in df.columns)
    values = dict(zip(pool_table["Field"], pool_table["Value"], strict=True))
    assert values["StatefulSet"] == "prod-adaptive-harmony-default"
    pods = next(df for df in tables(at) if "DNS name" in df.columns)
    assert pods["DNS name"][0].endswith(".ml.svc.cluster.local")


def test_html_in_values_and_file_name_is_text_not_markup():
    evil = f"harmony:\n  group: default\n  replicaCount: 1\nnote: '{HOSTILE}'\n# {HOSTILE}\n"
    at = upload(new_app(), f"{HOSTILE}.yaml", evil.encode())
    body = html_bodies(at)
    assert "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # In Markdown the name is backslash-escaped (no HTML, no link, no directive).
    for m in at.markdown:
        assert "<img" not in m.value
    # Download names are sanitised (the browser test checks the real download's name).
    report = migrator.analyze(evil.encode(), name=f"{HOSTILE}.yaml")
    for _, file_name, _, _ in ui.download_payloads(report, f"{HOSTILE}.yaml"):
        assert "<" not in file_name and "/" not in file_name and " " not in file_name


def test_sessions_keep_their_own_results():
    a = upload(new_app(), "a.yaml", LEGACY)
    b = upload(new_app(), "b.yaml", CURRENT)
    assert any("Migration ready" in i.value for i in a.info)
    assert any("Up to date" in s.value for s in b.success)
    # Each session's analyses live in its own session state, not in a shared cache.
    assert len(a.session_state[ui.SESSION_CACHE_KEY]) == 1
    assert len(b.session_state[ui.SESSION_CACHE_KEY]) == 1
    only_a = next(iter(a.session_state[ui.SESSION_CACHE_KEY].values()))
    assert only_a.source == "a.yaml"


def test_session_cache_is_bounded():
    at = new_app()
    at.radio(key="up_source").set_value("Paste text").run()
    for i in range(ui.SESSION_CACHE_ENTRIES + 3):
        at.text_area(key="up_text").input(f"harmony:\n  replicaCount: {i + 1}\n").run()
    assert len(at.session_state[ui.SESSION_CACHE_KEY]) == ui.SESSION_CACHE_ENTRIES


# ---------------------------------------------------------------------------
# Triage page


def triage_app() -> AppTest:
    at = new_app()
    at.switch_page("app_pages/triage.py").run()
    assert not at.exception
    return at


def test_triage_empty():
    at = triage_app()
    assert at.title[0].value == "Triage customers' values files"
    assert any("Upload one or more files" in i.value for i in at.info)


def test_triage_three_files_one_invalid():
    at = triage_app()
    at.file_uploader(key="tri_files").set_value(
        [
            ("legacy.yaml", LEGACY, "application/x-yaml"),
            ("broken.yaml", DUPLICATE, "application/x-yaml"),
            ("current.yaml", CURRENT, "application/x-yaml"),
        ]
    ).run()
    assert not at.exception
    table = dataframes(at)[0]
    assert list(table["File"]) == ["legacy.yaml", "broken.yaml", "current.yaml"]
    status = dict(zip(table["File"], table["Status"], strict=True))
    assert status == {
        "legacy.yaml": "migration ready",
        "broken.yaml": "cannot read",
        "current.yaml": "up to date",
    }
    problem = dict(zip(table["File"], table["Problem"], strict=True))
    assert "line 3" in problem["broken.yaml"] and "duplicate key" in problem["broken.yaml"]
    gpus = dict(zip(table["File"], table["GPUs"], strict=True))
    assert gpus["legacy.yaml"] == 8 and gpus["current.yaml"] == 22
    labels = set(downloads(at))
    assert "All migrated files (.zip, 2)" in labels
    assert "Combined report (Markdown, secrets masked)" in labels
    # Rows are expanders, rendered lazily: closed, they hold nothing.
    assert [e.label.split(" — ")[0] for e in at.expander][-3:] == [
        "legacy\\.yaml",
        "broken\\.yaml",
        "current\\.yaml",
    ]
    assert "Verdict" not in subheaders(at)


def test_triage_row_opens_to_the_full_analysis():
    at = triage_app()
    at.file_uploader(key="tri_files").set_value(
        [("legacy.yaml", LEGACY, "application/x-yaml"), ("broken.yaml", DUPLICATE, "application/x-yaml")]
    ).run()
    keys = [f"tri_open_{hashlib.sha256(n.encode()).hexdigest()[:16]}" for n in ("legacy.yaml", "broken.yaml")]
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception
    assert "Verdict" in subheaders(at) and "Pool preview" in subheaders(at)
    assert any("Cannot read this file" in e.value for e in at.error)


def test_triage_escapes_hostile_file_names():
    at = triage_app()
    at.file_uploader(key="tri_files").set_value([(f"{HOSTILE}.yaml", LEGACY, "application/x-yaml")]).run()
    assert not at.exception
    label = at.expander[-1].label
    assert "\\<img" in label and not re.search(r"(?<!\\)[<>\[\]()]", label)  # Markdown-escaped
    assert list(dataframes(at)[0]["File"]) == [f"{HOSTILE}.yaml"]  # plain text cell


def test_triage_zip_archive():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("customer-a/values.yaml", LEGACY)
        zf.writestr("customer-b/values.yaml", ERA24)
        zf.writestr("README.md", "not a values file")
    at = triage_app()
    at.file_uploader(key="tri_files").set_value([("batch.zip", buf.getvalue(), "application/zip")]).run()
    assert not at.exception
    table = dataframes(at)[0]
    assert list(table["File"]) == ["batch.zip/customer-a/values.yaml", "batch.zip/customer-b/values.yaml"]
    assert list(table["Status"]) == ["migration ready", "migration ready"]


# ---------------------------------------------------------------------------
# Breaking-changes page


def test_changes_page_is_generated_from_the_catalogue():
    at = new_app()
    at.switch_page("app_pages/changes.py").run()
    assert not at.exception
    text = all_markdown(at)
    catalogue = migrator.catalogue()
    assert catalogue
    for change in catalogue:
        assert ui.md_rich(change.title) in text
        assert ui.md(change.version) in text
        for step in change.manual_steps:
            assert ui.md_rich(step) in text
    examples = [c for c in catalogue if c.example_before or c.example_after]
    assert len(at.get("html")) == len(examples)
    codes = [c.value for c in at.code]
    for change in examples:
        assert change.example_before.strip() in codes and change.example_after.strip() in codes


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
    payloads = {label: (name, data) for label, name, data, _ in ui.download_payloads(report, "values.yaml")}
    name, data = payloads["Migrated values"]
    assert name == "values.migrated.yaml"
    assert data == report.migrated_yaml.encode("utf-8")
    assert PASSWORD.encode() in data
    for label in ("Redacted copy (for sharing)", "Report (Markdown)", "Report (JSON)"):
        assert PASSWORD.encode() not in payloads[label][1], label
    assert payloads["Redacted copy (for sharing)"][0] == "values.migrated.redacted.yaml"
    assert payloads["Report (Markdown)"][0] == "values.report.md"
    assert json.loads(payloads["Report (JSON)"][1])["status"] == "migrated"


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
    out = ui.md(hostile)
    for ch in "[]()!:$<>*#":
        assert ch not in out.replace("\\" + ch, "")
    assert ui.md("a\nb") == "a b"
    assert ui.md_rich("use `secrets.db` now.") == "use `secrets.db` now\\."
    assert ui.md_rich("odd ` tick") == "odd \\` tick"


def test_expand_uploads_and_zip_guards():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.yaml", b"a: 1\n")
        zf.writestr("__MACOSX/._a.yaml", b"junk")
        zf.writestr("big.yaml", b"a" * (files.MAX_UPLOAD_BYTES + 1))
    out = files.expand_uploads(
        [
            ("one.yaml", b"x: 1\n"),
            ("one.yaml", b"x: 2\n"),
            ("batch.zip", buf.getvalue()),
            ("bad.zip", b"nope"),
        ]
    )
    assert [f.name for f in out] == [
        "one.yaml",
        "one.yaml (2)",
        "batch.zip/a.yaml",
        "batch.zip/big.yaml",
        "bad.zip",
    ]
    assert out[2].data == b"a: 1\n"
    assert out[3].error and "5 MB" in out[3].error
    assert out[4].error and "zip" in out[4].error
    archive = zipfile.ZipFile(io.BytesIO(files.zip_bytes([("v.yaml", b"1"), ("v.yaml", b"2")])))
    assert archive.namelist() == ["v.yaml", "v-2.yaml"]


def test_opt_in_rewrites_are_offered_from_the_registry_and_applied_only_when_chosen() -> None:
    from migrator.registry import known_options

    text = (
        "harmony:\n  computePools:\n    - name: train\n      replicas: 1\n"
        '      capabilities: "TRAINING,EVALUATION"\n'
    )
    at = paste(new_app(), text)
    offered = at.multiselect(key="up_opts")
    assert [o.split(":")[0] for o in offered.options] == list(known_options())
    assert offered.value == []

    def latest_report() -> migrator.Report:
        return list(at.session_state[ui.SESSION_CACHE_KEY].values())[-1]

    assert 'capabilities: "TRAINING,EVALUATION"' in latest_report().migrated_yaml
    assert "capabilities-job-offered" in {f.code for f in latest_report().findings}
    offered.select("capabilities-job").run()
    assert not at.exception
    assert 'capabilities: "JOB"' in latest_report().migrated_yaml
