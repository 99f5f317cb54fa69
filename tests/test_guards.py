"""Decisions no fixture shows on its own: the status a render's placeholder gives, the lines of
the steps to fill in, and the severities of the ledger's consequences (tools/mutation.py found
each could break unnoticed). The guards that keep false alarms away (installPostgres, a file
already at 0.48, `lgtm` configured, `automount: false`, ...) are fixture cases in
tests/fixtures/changes; these are the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import migrator.engine as engine
from migrator.changes.context import ChangeContext
from migrator.chart import ledger
from migrator.chart.proof import conclude
from migrator.chart.render import KubeObject
from migrator.detect import detect
from migrator.engine import analyze
from migrator.report.model import Detection, PlaceholderValue, RenderProof, Report
from migrator.yaml.document import Document
from migrator.yaml.editor import EditError, Editor
from migrator.yaml.render import Keep
from tests.samples import synthetic_change

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changes"
IRSA = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/adaptive"}


def _report(**kwargs) -> Report:
    detection = Detection(label="x", pending=[], evidence=[], low="0.42.0")
    return Report(source="x", detected=detection, target="0.48.2", status="migrated", **kwargs)


def test_a_placeholder_the_render_needed_makes_the_file_need_input_even_without_a_finding() -> None:
    proof = RenderProof(
        "0.48.2", "needs-input", placeholders=[PlaceholderValue(("secrets", "x"), 7, "required")]
    )
    report = _report(render=proof, migrated_yaml="secrets:\n  x: ''\n")
    conclude(report, Document("{}\n"), None)
    assert report.status == "needs-input"
    assert [(s.kind, s.path) for s in report.next_steps][:1] == [("fill", "secrets.x")]


def test_a_clean_render_and_no_finding_leave_the_status_alone() -> None:
    report = _report(render=RenderProof("0.48.2", "ok"), migrated_yaml="a: 1\n")
    conclude(report, Document("{}\n"), None)
    assert report.status == "migrated"


def test_the_fill_steps_give_the_lines_of_the_migrated_file() -> None:
    case = FIXTURES / "db-config-split" / "password-missing"
    report = analyze((case / "before.yaml").read_bytes(), target="0.25.0")
    migrated = (case / "after.yaml").read_text().splitlines()
    fills = [s for s in report.next_steps if s.kind == "fill"]
    assert [(s.path, s.line) for s in fills] == [("secrets.db.password", 4)]
    assert migrated[fills[0].line - 1] == '    password: ""'
    assert fills[0].text.startswith("Fill in `secrets.db.password`.")
    assert report.next_steps[-1].kind == "command"


@pytest.mark.parametrize("positions", [False, True])
@pytest.mark.parametrize(("value", "written"), [(True, "1"), (1, "1.0"), ("1", "1")])
def test_the_editor_refuses_text_that_reads_back_as_another_type(positions, value, written) -> None:
    editor = Editor(Document("a:\n  x: 1\nb:\n  z: 3\n"))
    editor.replace_key(("b", "z"), "zz", value)
    editor._edits[0].new = [f"  zz: {written}"]  # an editor bug: equal in Python, not the same value
    with pytest.raises(EditError, match="intended values"):
        editor.finish(positions=positions)


def test_the_oldest_old_key_caps_the_detected_range() -> None:
    # `secrets.dbUrl` is gone from 0.18.0, `harmony.group` from 0.24.0: the file is for 0.17.x at most.
    detection = detect({"secrets": {"dbUrl": "postgres://u@db/x"}, "harmony": {"group": "gpu"}})
    assert (detection.low, detection.high, detection.conflict) == (None, "0.18.0", False)
    assert detection.label == "before 0.18.0 (0.17.x or earlier)"
    detection = detect({"harmony": {"group": "gpu"}, "lgtm": {"enabled": True}})
    assert (detection.low, detection.high, detection.conflict) == ("0.38.0", "0.24.0", True)


def test_a_change_run_again_after_a_flush_gives_lines_of_the_file_as_given(monkeypatch) -> None:
    text = (
        "harmony:\n  group: gpu\n  gpusPerReplica: 8\n"
        "controlPlane:\n  rootUrl: https://adaptive.example.com\n  servicePort: 80\n"
    )
    runs: list[str] = []

    def pools(ctx: ChangeContext) -> None:  # two lines more above controlPlane
        pool = [{"name": Keep(("harmony", "group")), "replicas": 1}]
        ctx.editor.replace_key(("harmony", "group"), "computePools", pool)

    def later(ctx: ChangeContext) -> None:
        runs.append("later")
        ctx.doc.inline_comment(("harmony", "computePools"))  # rewritten text: the chain flushes first
        ctx.finding("port-noted", "info", ("controlPlane", "servicePort"), "noted")

    changes = (synthetic_change("pools", "0.17.0", pools), synthetic_change("later", "0.18.0", later))
    monkeypatch.setattr(engine, "all_changes", lambda: changes)
    report = engine.analyze(text, target="0.18.0", prove_with_helm=False)
    assert runs == ["later", "later"]  # it ran again on the flushed text, where servicePort is line 8
    noted = [f for f in report.findings if f.code == "port-noted"]
    assert [(f.path, f.line) for f in noted] == [("controlPlane.servicePort", 6)]  # as the user gave it


# ---------------------------------------------------------------------------
# the ledger's consequences


def _object(kind: str, name: str, **spec) -> KubeObject:
    labels = spec.pop("labels", {})
    annotations = spec.pop("annotations", {})
    body = {"kind": kind, "metadata": {"name": name, "labels": labels, "annotations": annotations}}
    body["spec"] = spec
    return KubeObject(kind, "v1", name, "team", "adaptive/templates/x.yaml", body)


def _entry(entries, kind: str, name: str):
    found = [e for e in entries if e.kind == kind and e.name == name]
    assert len(found) == 1, [(e.change, e.kind, e.name) for e in entries]
    return found[0]


def test_a_renamed_statefulset_whose_volumes_stay_behind_is_critical() -> None:
    claims = {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}
    labels = {"app.kubernetes.io/component": "harmony"}
    old = _object("StatefulSet", "prod-harmony", labels=labels, **claims)
    new = _object("StatefulSet", "prod-harmony-default", labels=labels, **claims)
    entry = _entry(ledger.compare([old], [new], namespace="team"), "StatefulSet", "prod-harmony")
    assert (entry.change, entry.severity) == ("renamed", "critical")
    assert "`data-prod-harmony-N`" in entry.consequence and "empty volumes" in entry.consequence
    plain_old = _object("StatefulSet", "prod-harmony", labels=labels)
    plain_new = _object("StatefulSet", "prod-harmony-default", labels=labels)
    entry = _entry(ledger.compare([plain_old], [plain_new], namespace="team"), "StatefulSet", "prod-harmony")
    assert (entry.change, entry.severity) == ("renamed", "warning")


def test_a_deleted_or_created_service_account_with_a_cloud_binding_is_critical() -> None:
    bound = _object("ServiceAccount", "prod-sa", annotations=IRSA)
    entry = _entry(ledger.compare([bound], [], namespace="team"), "ServiceAccount", "prod-sa")
    assert (entry.change, entry.severity) == ("deleted", "critical")
    assert "IRSA" in entry.consequence or "IAM" in entry.consequence
    plain = _object("ServiceAccount", "prod-sa")
    entry = _entry(ledger.compare([plain], [], namespace="team"), "ServiceAccount", "prod-sa")
    assert (entry.change, entry.severity) == ("deleted", "warning")
    entry = _entry(ledger.compare([], [bound], namespace="team"), "ServiceAccount", "prod-sa")
    assert (entry.change, entry.severity) == ("created", "critical")
    assert "system:serviceaccount:team:prod-sa" in entry.consequence
