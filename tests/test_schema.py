"""The values schema per chart version (migrator/chart/schema.py), with jsonschema and with Helm."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import helm_python as helm
import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from migrator.chart import catalogue, packages, schema

SAMPLE = ("0.17.0", "0.23.0", "0.25.0", "0.30.0", "0.37.2", "0.42.0", "0.48.2")
SECRETS = {
    "modelRegistryUrl": "s3://bucket/model_registry",
    "sharedDirectoryUrl": "s3://bucket/shared",
    "cookiesSecret": "c" * 64,
    "db": {"username": "u", "password": "p", "host": "db:5432", "database": "d"},
    "auth": {"internalJwtPrivateKeyV4Base64": "a2V5"},
}


@functools.cache
def defaults(version: str) -> dict:
    return helm.Chart.load_archive(packages.shipped(version).data).values


@pytest.mark.parametrize("version", SAMPLE)
def test_the_schema_is_a_valid_2020_12_schema(version):
    Draft202012Validator.check_schema(schema.values_schema(version))
    Draft7Validator.check_schema(json.loads(schema.values_schema_json(version, draft="07")))


def test_every_version_validates_its_own_defaults():
    for version in packages.shipped_versions():
        assert schema.validate(defaults(version), version) == [], version


def test_unknown_keys_do_not_validate():
    cases = {
        "top level": {"prometheus": {"enabled": True}},
        "nested": {"controlPlane": {"rootURL": "https://x"}},
        "deeper": {"secrets": {"db": {"hostname": "x"}}},
        "in a pool": {"harmony": {"computePools": [{"name": "a", "replica": 2}]}},
        "pool without a name": {"harmony": {"computePools": [{"replicas": 2}]}},
        "in structured resources": {"harmony": {"resources": {"claims": []}}},
    }
    for name, data in cases.items():
        errors = schema.validate(data, "0.48.2")
        assert errors, name
    assert "replica" in schema.validate(cases["in a pool"], "0.48.2")[0]
    assert schema.validate(cases["top level"], "0.31.1") == []  # still read then


def test_free_form_maps_nulls_and_types():
    ok = {
        "harmony": {
            "nodeSelector": {"cloud.google.com/gke-spot": "true"},
            "tolerations": None,
            "podAnnotations": {"a/b": "c"},
            "computePools": [{"name": "a", "replicas": 2, "nodeSelector": {"x": "y"}, "requireGpu": False}],
        },
        "secrets": {"s3Creds": {"AWS_ACCESS_KEY_ID": "x"}},
        "minio": {"anything": {"deep": 1}},
        "global": {"imageRegistry": "x"},
        "controlPlane": {"rootUrl": None},
    }
    assert schema.validate(ok, "0.48.2") == []
    assert schema.validate({"harmony": {"gpusPerReplica": "eight"}}, "0.48.2")
    assert schema.validate({"harmony": {"enabled": "false"}}, "0.48.2")  # a string is always true in Helm


def test_refused_keys_accept_only_empty_values():
    assert schema.validate({"harmony": {"group": ""}}, "0.48.2") == []
    assert schema.validate({"harmony": {"group": None, "replicaCount": 0}}, "0.48.2") == []
    errors = schema.validate({"harmony": {"group": "gpu"}}, "0.48.2")
    assert errors and "harmony.group" in errors[0]
    assert schema.validate({"harmony": {"group": "gpu"}}, "0.23.0") == []


def test_descriptions_and_defaults_are_the_charts():
    s = schema.values_schema("0.48.2")
    root_url = s["properties"]["controlPlane"]["properties"]["rootUrl"]
    assert "web browser" in root_url["description"] and root_url["default"] == "http://localhost:9000"
    pools = s["properties"]["harmony"]["properties"]["computePools"]
    assert pools["items"]["required"] == ["name"]
    assert pools["items"]["additionalProperties"] is False
    assert "additionalProperties" not in s["properties"]["minio"]
    assert s["additionalProperties"] is False
    assert schema.values_schema_json("0.48.2").startswith("{")
    assert json.loads(schema.values_schema_json("0.48.2", draft="07"))["$schema"].endswith("draft-07/schema#")
    with pytest.raises(ValueError):
        schema.values_schema_json("0.48.2", draft="04")


@pytest.mark.parametrize("draft", ["2020-12", "07"])
def test_helm_accepts_the_schema_as_values_schema_json(tmp_path, draft):
    """Put into the chart as values.schema.json: Helm loads it, lints with it, and refuses typos."""
    version = "0.48.2"
    archive = tmp_path / "adaptive.tgz"
    archive.write_bytes(packages.shipped(version).data)
    helm.expand(tmp_path, archive)
    folder = tmp_path / "adaptive"
    (folder / "values.schema.json").write_text(schema.values_schema_json(version, draft=draft))
    chart = helm.Chart.load(folder)
    assert chart.schema["$schema"] == schema.DRAFTS[draft]
    good = {"secrets": SECRETS, "harmony": {"computePools": [{"name": "gpu", "replicas": 2}]}}
    chart.validate_schema(good)
    assert helm.lint(folder, good)["errors"] == []
    assert chart.render(good, name="prod", namespace="default")
    for bad, where in [
        ({"secrets": SECRETS, "controlPlane": {"rootURL": "x"}}, "/controlPlane"),
        (
            {"secrets": SECRETS, "harmony": {"computePools": [{"name": "a", "replica": 2}]}},
            "/harmony/computePools/0",
        ),
        ({"secrets": SECRETS, "prometheus": {"enabled": True}}, "prometheus"),
    ]:
        with pytest.raises(helm.HelmValuesError, match=where):
            chart.validate_schema(bad)
        with pytest.raises(helm.HelmValuesError):
            chart.render(bad, name="prod", namespace="default")
        assert helm.lint(folder, bad)["errors"]


def test_keys_the_users_own_templates_read_are_accepted():
    data = {"myApp": {"host": "x"}, "extraObjects": [{"data": {"h": "{{ .Values.myApp.host }}"}}]}
    assert schema.validate(data, "0.48.2") == []
    assert schema.validate({"myApp": {"host": "x"}}, "0.48.2")
    assert "myApp" in schema.values_schema("0.48.2", allow=("myApp",))["properties"]


def test_the_catalogue_and_the_schema_agree_on_unknown_keys():
    data = defaults("0.23.0")
    unknown = {catalogue.dotted(u.path) for u in catalogue.unknown_keys(data, "0.48.2")}
    errors = schema.validate(data, "0.48.2")
    for key in unknown:
        parent, _, name = key.rpartition(".")
        assert any(name in e and e.startswith(parent or "(top level)") for e in errors), (key, errors)


# -- every migrated fixture fits the schema of its target --------------------------------------

_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "changes").glob("*/*/before.yaml"))


@pytest.mark.parametrize("before", _FIXTURES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_migrated_fixture_fits_its_targets_schema(before: Path) -> None:
    from migrator.engine import analyze, load_document

    expected = json.loads((before.parent / "expected.json").read_text())
    options = {k: expected[k] for k in ("target", "release", "namespace") if k in expected}
    options.update(expected.get("options", {}))
    report = analyze(before.read_bytes(), prove_with_helm=False, **options)
    if report.migrated_yaml is None or report.status == "not-adaptive":
        return
    data = load_document(report.migrated_yaml.encode("utf-8"))[0].data
    # What the schema refuses is what the report already names at that key: the user's own
    # unknown keys, keys the chart stopped reading (legacy pools included), wrong types.
    named = {f.path for f in report.findings}
    problems = []
    for line in schema.validate(data, report.target):
        where, _, message = line.partition(": ")
        extra = re.findall(r"'([^']+)'", message) if "Additional properties" in message else []
        paths = [f"{where}.{key}" if where != "(top level)" else key for key in extra] or [where]
        if not all(path in named for path in paths):
            problems.append(line)
    assert problems == [], problems
