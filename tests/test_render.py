"""Helm renders the real chart packages: refusals read back into keys, placeholders only for values
the user must supply, every rendered object checked the way the API server would."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import jsonschema
import pytest
from referencing import Registry, Resource

from migrator.chart import kube, packages
from migrator.chart.render import PLACEHOLDER_PREFIX, is_user_supplied, read_refusal, render
from migrator.versions import Version

VERSIONS = packages.shipped_versions()
SECRETS = """\
secrets:
  db: {username: u, password: p, host: "db:5432", database: d}
  cookiesSecret: c
  modelRegistryUrl: s3://models/registry
  sharedDirectoryUrl: s3://models/shared
  auth:
    internalJwtPrivateKeyV4Base64: a2V5
"""


def _render(version: str, text: str, release: str = "prod"):
    return render(packages.shipped(version), text, release=release, namespace="team")


def test_every_release_is_shipped() -> None:
    assert VERSIONS[0] == "0.17.0" and VERSIONS[-1] == "0.48.2"
    assert len(VERSIONS) == len(list(files("migrator.chart").joinpath("data").glob("adaptive-*.tgz")))
    assert packages.resolve_version("0.48") == "0.48.2"
    assert packages.resolve_version("v0.30.0") == "0.30.0"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_chart_defaults_render_with_placeholders_only_for_user_supplied_values(version: str) -> None:
    result = _render(version, "{}")
    assert result.ok, result.refusal
    assert all(is_user_supplied(p.path) and p.path[0] == "secrets" for p in result.placeholders)
    assert not result.broken
    assert kube.check(result.objects) == []
    assert {o.kind for o in result.objects} >= {"Deployment", "Service", "Secret"}
    if Version(version) >= Version("0.42.0"):
        # From 0.42 the chart's own defaults have no placeholder secrets: the render needs ours.
        assert {p.path for p in result.placeholders} >= {
            ("secrets", "db", "password"),
            ("secrets", "cookiesSecret"),
        }
        assert all(p.value.startswith(PLACEHOLDER_PREFIX) for p in result.placeholders)
    else:
        assert result.placeholders == []


def test_a_values_file_with_every_required_value_needs_no_placeholder() -> None:
    result = _render("0.48.2", SECRETS)
    assert result.status == "ok"
    secret = result.find("Secret", "prod-adaptive-controlplane-secret")
    assert secret is not None and "internalJwtPrivateKeyV4Base64" in secret.body["data"]


def test_a_required_value_named_only_in_the_template_is_read_from_its_source() -> None:
    # "A cookies secret is required!" names no key; the template source (`required ... .Values...`) does.
    text = SECRETS.replace("  cookiesSecret: c\n", "")
    result = _render("0.48.2", text)
    assert [p.path for p in result.placeholders] == [("secrets", "cookiesSecret")]
    assert result.placeholders[0].refusal.message == "A cookies secret is required!"
    assert result.status == "needs-input"


@pytest.mark.parametrize(
    ("version", "text", "paths", "asks"),
    [
        ("0.48.2", "harmony:\n  computePools: []\n", [("harmony", "computePools")], True),
        ("0.48.2", "harmony:\n  computePools: gpu\n", [("harmony", "computePools")], False),
        ("0.48.2", SECRETS + "  dbUrl: postgres://a:b@h/d\n", [("secrets", "dbUrl")], False),
        (
            "0.30.0",
            "secrets:\n  existingControlPlaneSecret: mine\n",
            [("secrets", "existingControlPlaneSecret")],
            False,
        ),
        ("0.48.2", SECRETS + "harmony:\n  replicaCount: 2\n", [("harmony", "replicaCount")], False),
    ],
)
def test_refusals_name_their_keys(version: str, text: str, paths: list, asks: bool) -> None:
    result = _render(version, text)
    assert result.status == "fails"
    refusal = result.refusal
    assert refusal is not None and refusal.paths[: len(paths)] == tuple(paths)
    assert refusal.asks_for_value is asks
    assert refusal.template and refusal.template.startswith("adaptive/templates/")


def test_a_refusal_that_forbids_is_never_answered_with_a_placeholder() -> None:
    result = _render("0.30.0", "secrets:\n  existingControlPlaneSecret: mine\n")
    assert result.placeholders == []


def test_read_refusal_keeps_helms_message() -> None:
    package = packages.shipped("0.48.2")
    refusal = read_refusal(
        package,
        "execution error at (adaptive/templates/harmony-secret.yaml:8:10): Error: 'secrets.modelRegistryUrl' "
        "is required when neither minio.enabled nor s3proxy.enabled is true",
    )
    assert refusal.paths == (("secrets", "modelRegistryUrl"),)
    assert refusal.asks_for_value and refusal.line == 8
    assert refusal.message.startswith("'secrets.modelRegistryUrl' is required")


# -- what the API server would refuse ----------------------------------------------------


def test_a_pool_named_on_renders_a_boolean_label_and_env_before_0_38_3() -> None:
    result = _render("0.30.0", SECRETS + "harmony:\n  computePools:\n    - name: 'on'\n")
    problems = kube.check(result.objects)
    fields = {(p.kind, p.field) for p in problems}
    assert ("StatefulSet", "metadata.labels['app.kubernetes.io/pool']") in fields
    assert any(p.field.endswith(".value") and "must be string" in p.message for p in problems)  # GROUP: true
    fixed = _render("0.48.2", SECRETS + "harmony:\n  computePools:\n    - name: 'on'\n")
    assert [p for p in kube.check(fixed.objects) if "env" in p.field] == []  # quoted from 0.38.3


def test_two_node_selector_labels_render_invalid_yaml_before_0_28() -> None:
    text = SECRETS + "harmony:\n  nodeSelector: {a: b, c: d}\n  computePools:\n    - name: gpu\n"
    broken = _render("0.25.0", text).broken
    assert broken and "not valid YAML" in broken[0].message
    assert _render("0.28.0", text).broken == []


def test_pool_limits_without_requests_render_an_invalid_manifest() -> None:
    text = (
        SECRETS + "harmony:\n  computePools:\n    - name: gpu\n      resources:\n        limits: {cpu: 1}\n"
    )
    assert _render("0.48.2", text).broken


def test_long_release_names_collide_across_components() -> None:
    release = "customer-production-eu-west-1"  # 29 characters, no "adaptive"
    problems = kube.check(_render("0.48.2", SECRETS, release=release).objects)
    assert any("objects of kind Deployment are named" in p.message for p in problems)


def test_statefulset_names_past_52_characters_get_no_pods() -> None:
    text = SECRETS + "harmony:\n  computePools:\n    - name: a-very-long-pool-name-for-the-gpu-nodes\n"
    problems = kube.check(_render("0.48.2", text).objects)
    assert any("at most 52 characters" in p.message for p in problems)


# -- the compiled schema check agrees with jsonschema on every rendered object -----------------


def _reference_validator(kind: str, api_version: str):
    base = files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{kube.KUBE_VERSION}-local")
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = json.loads(base.joinpath(f"{kind.lower()}-{group}.json").read_text())
    except FileNotFoundError:
        return None
    definitions = json.loads(base.joinpath("_definitions.json").read_text())
    registry = Resource.from_contents(schema) @ (Resource.from_contents(definitions) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _mutations(body: dict):
    """The object, and copies with one wrong type each (a label, an env value, replicas, a port)."""
    yield body
    text = json.dumps(body)
    for pattern, replacement in (
        (r'"replicas": \d+', '"replicas": "two"'),
        (r'"containerPort": \d+', '"containerPort": true'),
        (r'("name": "[A-Z_]+", "value": )"[^"]*"', r"\1 false"),
        (r'"imagePullPolicy": "[A-Za-z]+"', '"imagePullPolicy": 3'),
        (r'"serviceName": "[^"]*"', '"serviceName": {"a": 1}'),
    ):
        mutated = re.sub(pattern, replacement, text, count=1)
        if mutated != text:
            yield json.loads(mutated)


@pytest.mark.parametrize("version", ["0.17.0", "0.23.0", "0.30.0", "0.37.2", "0.48.2"])
def test_the_compiled_schema_check_agrees_with_jsonschema(version: str) -> None:
    result = _render(version, SECRETS if Version(version) >= Version("0.18.0") else "{}")
    compared = 0
    for obj in result.objects:
        reference = _reference_validator(obj.kind, obj.api_version)
        ours = kube._validator(obj.kind, obj.api_version)
        assert (reference is None) == (ours is None), obj.kind
        if reference is None:
            continue
        for body in _mutations(obj.body):
            expected = {tuple(e.absolute_path) for e in reference.iter_errors(body)}
            found = {path for path, _ in ours(body, ())}
            assert found == expected, (obj.kind, obj.name)
            compared += 1
    assert compared > 40


def test_a_render_that_switches_a_subchart_off_does_not_change_later_renders() -> None:
    # Helm edits a loaded chart in place when a condition turns a subchart off (helm-python-sdk
    # 0.2.2): renders must not share a loaded chart across those switches.
    with_prometheus = len(_render("0.25.0", "{}").objects)
    without = len(_render("0.25.0", "prometheus:\n  enabled: false\n").objects)
    assert without < with_prometheus
    assert len(_render("0.25.0", "harmony:\n  enabled: true\n").objects) == with_prometheus
