"""Secrets by what they are, wherever a values file holds them, and what stays visible.

A file with a distinct fake secret planted in every place a values file can hold
one goes through `migrator.analyze`; no masked output (the JSON and Markdown
reports, the redacted copy, the side-by-side diff with secrets hidden) may show
any of them, the listed non-secrets must stay visible, and the revealed outputs
must still hold everything. The masked copy of every file parses to the same
structure with only secret scalars replaced, line for line. Comments are not
masked (a commented-out password shows): that is the documented rule, and
checked here so that it stays a decision.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

import migrator
from migrator.errors import InputError
from migrator.report.diff import align_rows
from migrator.report.diff_html import render_html
from migrator.report.markdown import report_markdown
from migrator.report.secrets import (
    MASK,
    is_random_token,
    is_secret_path,
    key_kind,
    mask_data,
    mask_line,
    mask_string,
    mask_yaml_text,
)
from migrator.yaml.parse import parse, split_lines

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

RANDOM_TOKEN = "Zq7LmN3pR8sT2vW9xY4bC6dF1gH5jK0aPL20"
AWS_SECRET = "pL06aWsSeCrEtKeY/wJalrXUtnFEMI+K7MDENGbPx"

PLANTED_YAML = """\
# Every credential below is fake, planted by tests/test_secrets.py.
# password: pl-comment-shown-01 (comments are kept byte for byte, never masked)
containerRegistry: registry.example.com/adaptive
x-shared: &shared-token pl-anchor-token-02

secrets:
  modelRegistryUrl: s3://pl-bucket/model_registry
  sharedDirectoryUrl: "s3://pl-bucket/shared"
  db:
    username: adaptive_app
    password: "pl-db-pass'word\\"03"
    host: db.example.internal:5432
    database: adaptive_db
  cookiesSecret: 'pl-cookie-secret-it''s-04'
  s3Creds:
    AWS_ACCESS_KEY_ID: AKIAPLANTED000000005
    AWS_SECRET_ACCESS_KEY: "pL06aWsSeCrEtKeY/wJalrXUtnFEMI+K7MDENGbPx"
    AWS_REGION: eu-west-1
    S3_FORCE_PATH_STYLE: "true"
  auth:
    internalJwtPrivateKeyV4Base64: cGwtand0LXByaXZhdGUta2V5LTA3LXBsYW50ZWQ=
    oidc:
      providers:
        - name: Example SSO
          key: example
          issuer_url: https://sso.example.com
          client_id: pl-oidc-client-id-08
          client_secret: pl-oidc-client-secret-09
          scopes: ["email", "profile"]
          pkce: true

controlPlane:
  extraEnvVars:
    API_TOKEN: pl-env-api-token-10
    REDIS_URL: "redis://default:pl-redis-url-pw-11@redis.internal:6379/0"
    SENTRY_DSN: https://a1b2c3d4e5f60718293a4b5c6d7e8f12@o123.ingest.sentry.io/456
    LOG_LEVEL: debug
    OPENAI_API_KEY: 'sk-pl-openai-key-13'
    SHARED_TOKEN: *shared-token
  podAnnotations:
    vault.hashicorp.com/agent-inject-token: pl-annotation-token-14
    example.com/webhook: "https://hook:pl-annotation-url-pw-15@hooks.example.com/x"
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/adaptive-visible
  args: ["--db-password", "pl-arg-password-16", "--verbose"]
  serviceAccountJson: @GCP@
  azureStorage: @AZURE@
  bootstrapHeader: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbC1qd3QtMTkifQ.pl19JwtSignatureXyZ
  note: Zq7LmN3pR8sT2vW9xY4bC6dF1gH5jK0aPL20
  githubTokenForCi: ghp_PL21abcdefghijklmnopqrstuvwxyz012345
  customConfig: |
    # an embedded config file
    listen = "0.0.0.0:8080"
    password = pl-embedded-config-pw-22
    -----BEGIN RSA PRIVATE KEY-----
    PL23rsaPrivateKeyBodyLineOne0000
    PL23rsaPrivateKeyBodyLineTwo0000
    -----END RSA PRIVATE KEY-----
  redis: {url: "redis://:pl-flow-url-pw-24@redis:6379", password: 'pl-flow-password-25', host: redis-visible}
  tls:
    key: |
      -----BEGIN EC PRIVATE KEY-----
      PL26ecPrivateKeyBody
      -----END EC PRIVATE KEY-----
    crt: |
      -----BEGIN CERTIFICATE-----
      MIIBvisibleCertificateBody
      -----END CERTIFICATE-----

harmony:
  enabled: true
  gpusPerReplica: 8
  tolerations:
    - key: nvidia.com/gpu
      operator: Exists
      effect: NoSchedule
  imagePullSecrets:
    - name: regcred-visible
  computePools:
    - name: training
      replicas: 2
      capabilities: "JOB"
      extraEnvVars:
        HF_TOKEN: pl-pool-hf-token-27
        WANDB_API_KEY: "pl-pool-wandb-key-28"

minio:
  extraEnvVars:
    - name: MINIO_ROOT_PASSWORD
      value: pl-minio-list-env-29
    - {name: MINIO_API_TOKEN, value: "pl-minio-flow-env-30"}
    - {name: MINIO_BROWSER, value: "on-visible"}
"""

# A GCP service-account key (JSON, in single quotes) and an Azure connection string (double quotes).
GCP_JSON = (
    """'{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nPL17gcpPrivateKeyBody"""
    """\\n-----END PRIVATE KEY-----\\n", "client_email": "sa@pl-project.iam.gserviceaccount.com"}'"""
)
AZURE = (
    '"DefaultEndpointsProtocol=https;AccountName=plvisibleacct;AccountKey=pl-azure-account-key-18==;'
    'EndpointSuffix=core.windows.net"'
)
PLANTED_YAML = PLANTED_YAML.replace("@GCP@", GCP_JSON).replace("@AZURE@", AZURE)

PLANTED = [
    "pl-anchor-token-02",  # an anchor under an ordinary key, aliased where a token goes
    "pl-db-pass'word\"03",  # under secrets:, with quotes of both kinds
    "pass'word",
    "pl-cookie-secret-it's-04",  # single-quoted, with an escaped quote
    "it''s-04",
    "AKIAPLANTED000000005",  # an AWS access key id
    AWS_SECRET,  # an AWS secret access key
    "cGwtand0LXByaXZhdGUta2V5LTA3LXBsYW50ZWQ=",  # the internal JWT key
    "pl-oidc-client-id-08",  # an unknown key under a secret section: in doubt, masked
    "pl-oidc-client-secret-09",
    "pl-env-api-token-10",  # an env map
    "pl-redis-url-pw-11",  # a URL password under an ordinary key
    "a1b2c3d4e5f60718293a4b5c6d7e8f12",  # a Sentry DSN's public key
    "sk-pl-openai-key-13",
    "pl-annotation-token-14",  # annotations
    "pl-annotation-url-pw-15",
    "pl-arg-password-16",  # the argument after --db-password
    "PL17gcpPrivateKeyBody",  # a GCP service-account key (JSON in a string)
    "pl-azure-account-key-18",  # an Azure connection string
    "eyJzdWIiOiJwbC1qd3QtMTkifQ",  # a JWT
    "pl19JwtSignatureXyZ",
    RANDOM_TOKEN,  # a long random token under an ordinary key
    "ghp_PL21abcdefghijklmnopqrstuvwxyz012345",  # a GitHub token
    "pl-embedded-config-pw-22",  # a block scalar holding a config file
    "PL23rsaPrivateKeyBodyLineOne0000",  # a PEM private key inside a block scalar
    "PL23rsaPrivateKeyBodyLineTwo0000",
    "pl-flow-url-pw-24",  # flow style
    "pl-flow-password-25",
    "PL26ecPrivateKeyBody",  # `tls.key`
    "pl-pool-hf-token-27",  # a compute pool's extraEnvVars
    "pl-pool-wandb-key-28",
    "pl-minio-list-env-29",  # an env list: {name: X, value: Y}
    "pl-minio-flow-env-30",
]

# What is not secret, even under `secrets:`: shown in every masked output.
VISIBLE = [
    "pl-comment-shown-01",  # comments are not masked (documented)
    "adaptive_app",  # a username
    "db.example.internal:5432",  # a host and port
    "adaptive_db",  # a database name
    "s3://pl-bucket/model_registry",  # bucket URLs
    "s3://pl-bucket/shared",
    "eu-west-1",  # a region
    'S3_FORCE_PATH_STYLE: "true"',  # a flag spelled as text
    "Example SSO",
    "https://sso.example.com",
    "pkce: true",
    "redis://default:",  # the scheme and user of a URL whose password is masked
    "@redis.internal:6379/0",  # its host, port and path
    "@o123.ingest.sentry.io/456",  # a DSN's host
    "LOG_LEVEL: debug",
    "arn:aws:iam::123456789012:role/adaptive-visible",
    "--db-password",
    "--verbose",
    "AccountName=plvisibleacct",
    "sa@pl-project.iam.gserviceaccount.com",
    'listen = "0.0.0.0:8080"',
    "-----BEGIN RSA PRIVATE KEY-----",
    "host: redis-visible",
    "MIIBvisibleCertificateBody",  # a certificate is not a private key
    "key: nvidia.com/gpu",  # a toleration's key
    "regcred-visible",  # the name of an image pull Secret
    "on-visible",
    "gpusPerReplica: 8",
]

PLANTED_JSON = json.dumps(
    {
        "secrets": {
            "db": {
                "username": "json_user_visible",
                "password": "pl-json-db-password-40",
                "host": "json-db.internal",
                "database": "json_db_visible",
            },
            "cookiesSecret": "pl-json-cookie-41",
        },
        "controlPlane": {
            "extraEnvVars": {
                "API_KEY": "pl-json-api-key-42",
                "DATABASE_URL": "postgres://json_user:pl-json-url-pw-43@json-db.internal/json_db_visible",
            }
        },
        "minio": {"extraEnvVars": [{"name": "MINIO_SECRET_KEY", "value": "pl-json-minio-44"}]},
    },
    indent=2,
)
PLANTED_IN_JSON = [
    "pl-json-db-password-40",
    "pl-json-cookie-41",
    "pl-json-api-key-42",
    "pl-json-url-pw-43",
    "pl-json-minio-44",
]
VISIBLE_IN_JSON = ["json_user_visible", "json-db.internal", "json_db_visible", "postgres://json_user:"]


def masked_outputs(report: migrator.Report) -> dict[str, str]:
    """Every output shown or handed out with secrets hidden."""
    outputs = {
        "to_json": report.to_json(),
        "to_markdown": report_markdown(report),
        "migrated_yaml_shown": report.migrated_yaml_shown() or "",
    }
    left = mask_yaml_text(report.original_yaml)
    right = left if report.migrated_yaml is None else mask_yaml_text(report.migrated_yaml)
    diff = render_html(align_rows(left, right), context=None)  # every fold open
    outputs["side-by-side"] = diff
    outputs["side-by-side (unescaped)"] = html.unescape(diff)
    outputs["to_json (every string decoded)"] = "\n".join(_strings(json.loads(outputs["to_json"])))
    return outputs


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def assert_nothing_leaks(outputs: dict[str, str], planted: list[str]) -> None:
    leaks = [(name, secret) for name, text in outputs.items() for secret in planted if secret in text]
    assert not leaks, leaks


# ---------------------------------------------------------------------------
# the planted files through the engine


@pytest.fixture(scope="module")
def planted_report() -> migrator.Report:
    report = migrator.analyze(PLANTED_YAML, name="planted.yaml")
    assert report.migrated_yaml is not None, report.status
    return report


def test_no_masked_output_shows_a_planted_secret(planted_report):
    assert_nothing_leaks(masked_outputs(planted_report), PLANTED)


def test_what_is_not_secret_stays_visible(planted_report):
    outputs = masked_outputs(planted_report)
    for name in ("migrated_yaml_shown", "side-by-side (unescaped)", "to_markdown"):
        missing = [v for v in VISIBLE if v not in outputs[name]]
        assert not missing, (name, missing)
    assert MASK in outputs["migrated_yaml_shown"]


def test_revealed_outputs_lose_nothing(planted_report):
    revealed = planted_report.to_json(reveal_secrets=True)
    migrated = json.loads(revealed)["migrated_yaml"]
    assert migrated == planted_report.migrated_yaml
    assert parse(migrated).data == parse(PLANTED_YAML).data
    texts = "\n".join(_strings(parse(migrated).data))
    for secret in ("pl-db-pass'word\"03", "pl-cookie-secret-it's-04", AWS_SECRET, RANDOM_TOKEN):
        assert secret in texts
    assert report_markdown(planted_report, reveal_secrets=True).count(MASK) == 0


def test_a_json_file():
    report = migrator.analyze(PLANTED_JSON, name="planted.json")
    assert report.migrated_yaml is not None, report.status
    outputs = masked_outputs(report)
    assert_nothing_leaks(outputs, PLANTED_IN_JSON)
    for value in VISIBLE_IN_JSON:
        assert value in outputs["migrated_yaml_shown"], value
    # the redacted copy of a JSON file is still JSON, of the same shape
    redacted = json.loads(mask_yaml_text(PLANTED_JSON))
    assert redacted["secrets"]["db"]["password"] == MASK
    assert redacted["secrets"]["db"]["host"] == "json-db.internal"
    revealed = json.loads(report.to_json(reveal_secrets=True))["migrated_yaml"]
    for secret in PLANTED_IN_JSON:
        assert secret in revealed


def test_a_migrated_legacy_file_with_a_quoted_url_password():
    legacy = (REPO / "examples" / "values-0.17-era.yaml").read_text(encoding="utf-8")
    planted = "pl-legacy-p'w\\\"45"  # as written inside the double-quoted URL
    legacy = legacy.replace(
        "dbUrl: postgres://adaptive_app:not-a-real-password@",
        f'dbUrl: "postgres://adaptive_app:{planted}@',
    ).replace("5432/adaptive?sslmode=require", '5432/adaptive?sslmode=require"')
    assert planted in legacy
    report = migrator.analyze(legacy, name="legacy.yaml")
    assert report.migrated_yaml is not None and report.changed, report.status
    assert_nothing_leaks(masked_outputs(report), ["pl-legacy-p", "p'w", "fake-cookie-secret"])
    revealed = parse(report.migrated_yaml).data
    assert revealed["secrets"]["db"]["password"] == "pl-legacy-p'w\"45"
    shown = report.migrated_yaml_shown()
    assert "adaptive_app" in shown and "db.example.internal" in shown


def test_error_snippets_never_show_a_password():
    broken = 'secrets:\n  db:\n    password: "pl-snippet-pw-46\n  host: db\n'
    with pytest.raises(InputError) as info:
        migrator.analyze(broken)
    assert "pl-snippet-pw-46" not in json.dumps(info.value.to_dict())
    line = "  dbUrl: [postgres://u:pl-snippet-url-47@db/x"
    with pytest.raises(InputError) as info:
        migrator.analyze(f"secrets:\n{line}\n")
    assert "pl-snippet-url-47" not in json.dumps(info.value.to_dict())


# ---------------------------------------------------------------------------
# the masked text: same lines, same structure, valid YAML


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__ if isinstance(value, str) else value


def _leaves(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


def _texts() -> list[tuple[str, str]]:
    texts = [("planted.yaml", PLANTED_YAML), ("planted.json", PLANTED_JSON)]
    texts += [(p.name, p.read_text(encoding="utf-8")) for p in sorted((REPO / "examples").glob("*.yaml"))]
    texts += [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.yaml"))]
    return texts


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[name for name, _ in _texts()])
def test_the_masked_copy_keeps_lines_and_structure(name, text):
    masked = mask_yaml_text(text)
    assert len(split_lines(masked)) == len(split_lines(text))
    original, redacted = parse(text).data, parse(masked).data
    assert _shape(redacted) == _shape(original)
    for (path, before), (_, after) in zip(_leaves(original), _leaves(redacted), strict=True):
        if before != after:
            assert isinstance(after, str) and MASK in after, (path, before, after)
    assert redacted == mask_data(original)  # the text and the data are masked alike
    assert mask_yaml_text(masked) == masked  # masking twice changes nothing


def test_the_corpus_is_there():
    assert len(list(CORPUS.glob("*.yaml"))) >= 20


def test_anchors_aliases_block_scalars_flow_and_tags_survive():
    text = (
        "a: &pw hunter2-secret\n"
        "secrets:\n"
        "  password: *pw\n"
        "  token: &t !!str 'pl-tag-token'\n"
        "  again: *t\n"
        "  port: !!int 5432\n"
        "  key: |\n"
        "    line one\n"
        "    line two\n"
        "  flow: {user: bob, password: \"x\", nested: [1, {secret: 'y'}]}\n"
        '  multi: "postgres://u:pl-multi-pw@h\n'
        '    /db"   # a comment after\n'
        "plain: ok\n"
    )
    masked = mask_yaml_text(text)
    assert "hunter2-secret" not in masked and "pl-tag-token" not in masked and "pl-multi-pw" not in masked
    assert "a: &pw ••••••••\n" in masked and "password: *pw\n" in masked and "again: *t\n" in masked
    assert "port: !!int 5432" in masked  # a number under a neutral key keeps its tag
    assert "flow: {user: bob, password: \"••••••••\", nested: [1, {secret: '••••••••'}]}" in masked
    assert "# a comment after" in masked
    data = parse(masked).data
    assert data["secrets"]["multi"] == "postgres://u:••••••••@h /db"
    assert data["secrets"]["key"] == MASK and data["plain"] == "ok"


def test_a_bom_and_crlf_are_kept():
    text = "\ufeffsecrets:\r\n  password: hunter2-secret\r\n  host: db\r\n"
    assert mask_yaml_text(text) == "\ufeffsecrets:\r\n  password: ••••••••\r\n  host: db\r\n"


def test_one_long_line_is_rebuilt_once():
    text = "urls: {" + ", ".join(f"k{i}: http://u:p{i}x@h" for i in range(2000)) + "}\n"
    masked = mask_yaml_text(text)
    assert "p1999x" not in masked and masked.count(MASK) == 2000 and masked.count("\n") == 1


# ---------------------------------------------------------------------------
# the rules, both ways


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("secrets", "secret"),
        ("password", "secret"),
        ("PGPASSWORD", "secret"),
        ("DB_PASS", "secret"),
        ("cookiesSecret", "secret"),
        ("client_secret", "secret"),
        ("API_TOKEN", "secret"),
        ("apiKey", "secret"),
        ("APIKey", "secret"),
        ("OPENAI_API_KEY", "secret"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("storageAccountKey", "secret"),
        ("tls.key", "secret"),
        ("s3Creds", "secret"),
        ("credentials", "secret"),
        ("AWS_ACCESS_KEY_ID", "weak"),  # a secret word inside the name: the value, not a section
        ("internalJwtPrivateKeyV4Base64", "weak"),
        ("BASIC_AUTH", "weak"),
        ("auth", "weak"),
        ("key", "plain"),  # a toleration's key
        ("partitionKey", "plain"),
        ("topologyKey", "plain"),
        ("maxTokens", "plain"),
        ("tokenizer", "plain"),
        ("SENTRY_DSN", "plain"),  # its URL's userinfo is masked by content
        ("existingControlPlaneSecret", "ref"),
        ("existingSecret", "ref"),
        ("secretName", "ref"),
        ("keyName", "ref"),
        ("secretKeyRef", "ref"),
        ("imagePullSecrets", "ref"),
        ("userPasswordKey", "ref"),  # the field of a Secret that holds the password
        ("host", "public"),
        ("dbUrl", "public"),
        ("REDIS_URL", "public"),
        ("passwordFile", "public"),
        ("tokenUrl", "public"),
        ("username", "public"),
        ("database", "public"),
        ("secretAnnotations", "public"),
        ("tag", "ident"),
        ("checksum/config", "ident"),
    ],
)
def test_key_names(name, kind):
    assert key_kind(name) == kind


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgres://user:pw@db:5432/x", "postgres://user:••••••••@db:5432/x"),
        ("postgres://u:p'a\"s/s@w@db/x", "postgres://u:••••••••@db/x"),
        ("redis://:pw@redis:6379/0", "redis://:••••••••@redis:6379/0"),
        ("https://0123456789abcdef@o1.ingest.sentry.io/2", "https://••••••••@o1.ingest.sentry.io/2"),
        ("https://x-access-token:ghs_abc@github.com/o/r", "https://x-access-token:••••••••@github.com/o/r"),
        ("a http://u:p@h b https://v:q@i", "a http://u:••••••••@h b https://v:••••••••@i"),
        ("-e password=hunter2 user=bob", "-e password=•••••••• user=bob"),
        ("user = bob\npassword = my pass phrase\nport = 1", "user = bob\npassword = ••••••••\nport = 1"),
        ("export DB_PASSWORD='x y'\n", "export DB_PASSWORD=••••••••\n"),
        ("--token=abc123 --user=bob", "--token=•••••••• --user=bob"),
        ("AccountName=a;AccountKey=k+e/y==;Suffix=core", "AccountName=a;AccountKey=••••••••;Suffix=core"),
        ("https://b.s3/o?X-Amz-Signature=abcdef123&x=1", "https://b.s3/o?X-Amz-Signature=••••••••&x=1"),
        (
            '{"private_key": "k\\"ey", "client_email": "e"}',
            '{"private_key": "••••••••", "client_email": "e"}',
        ),
        ("Authorization: Bearer abcdefghijkl", "Authorization: ••••••••"),
        ("curl -H 'Bearer abcdefghijkl'", "curl -H 'Bearer ••••••••'"),
        ("key AKIAIOSFODNN7EXAMPLE here", "key •••••••• here"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "••••••••"),
        (f"token {RANDOM_TOKEN}", f"token {MASK}"),
        ("0123456789abcdef0123456789abcdef", MASK),  # hex, as `openssl rand -hex 16`
        ("-----BEGIN PRIVATE KEY-----\nMIIE\nabcd\n-----END PRIVATE KEY-----", None),
    ],
)
def test_secrets_by_content(text, masked):
    if masked is None:
        assert (
            mask_string(text) == "-----BEGIN PRIVATE KEY-----\n••••••••\n••••••••\n-----END PRIVATE KEY-----"
        )
    else:
        assert mask_string(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "s3://bucket/path/to/models",
        "https://sso.example.com/realms/x",
        "ssh://git@github.com/org/repo",  # a plain user name
        "user@example.com",
        "ghcr.io/adaptive-ml/harmony@sha256:" + "ab" * 32,  # an image digest
        "123e4567-e89b-12d3-a456-426614174000",  # a UUID
        "adaptive-harmony-gpu-pool-production-01",
        "/var/lib/adaptive/models/meta-llama-3-8b-instruct/weights",
        "controlPlaneServiceAccountAnnotations",
        "arn:aws:iam::123456789012:role/adaptive-control-plane",
        "https://host:8080/registry/@scope/pkg",  # a port, then a path holding @
        "db.example.internal:5432",
        "fake-cookie-secret-0000000000000000000000000000000000000000000000000000",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "max_tokens=4096",
        "",
    ],
)
def test_not_secrets_by_content(text):
    assert mask_string(text) == text


def test_random_tokens():
    for token in (RANDOM_TOKEN, AWS_SECRET, "ghp_PL21abcdefghijklmnopqrstuvwxyz0123456789"[:40]):
        assert is_random_token(token), token
    for word in ("adaptive-controlplane-service-account-name", "a" * 40, "0" * 40):
        assert not is_random_token(word), word


def test_secrets_section_shows_what_is_not_secret():
    text = """\
secrets:
  existingControlPlaneSecret: my-secret
  existingHarmonySecret: ""
  modelRegistryUrl: s3://bucket/model_registry
  dbUrl: postgres://admin:pl-pw-50@db.internal:5432/app
  db:
    username: admin_user
    password: pl-pw-51
    host: db.internal
    port: 5432
    database: app_db
    sslmode: require
  redis:
    enabled: true
    replicas: 3
    password: 24681357
  opaque: pl-opaque-52
  cookiesSecret: ""
"""
    masked = mask_yaml_text(text)
    for secret in ("pl-pw-50", "pl-pw-51", "24681357", "pl-opaque-52"):
        assert secret not in masked
    for shown in (
        "existingControlPlaneSecret: my-secret",
        'existingHarmonySecret: ""',
        "modelRegistryUrl: s3://bucket/model_registry",
        "postgres://admin:••••••••@db.internal:5432/app",
        "username: admin_user",
        "host: db.internal",
        "port: 5432",
        "database: app_db",
        "sslmode: require",
        "enabled: true",
        "replicas: 3",
        'cookiesSecret: ""',
    ):
        assert shown in masked, shown
    data = mask_data(parse(text).data)
    assert data["secrets"]["db"] == {
        "username": "admin_user",
        "password": MASK,
        "host": "db.internal",
        "port": 5432,
        "database": "app_db",
        "sslmode": "require",
    }
    assert data["secrets"]["redis"]["password"] == MASK


def test_env_entries_and_arguments():
    value = {
        "env": [
            {"name": "API_TOKEN", "value": "pl-53"},
            {"name": "LOG_LEVEL", "value": "debug"},
            {"value": "pl-54", "name": "DB_PASSWORD"},  # any order
            {"name": "TOKEN_FROM", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}},
        ],
        "tolerations": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
        "args": ["--password", "pl-55", "--name", "visible"],
    }
    masked = mask_data(value)
    assert [e.get("value") for e in masked["env"]] == [MASK, "debug", MASK, None]
    assert masked["env"][3] == value["env"][3]
    assert masked["tolerations"] == value["tolerations"]
    assert masked["args"] == ["--password", MASK, "--name", "visible"]


def test_a_secret_is_masked_wherever_it_appears_whole():
    data = {"auth": {"user": "sameword1", "password": "sameword1"}, "release": "sameword1"}
    assert mask_data(data) == {"auth": {"user": MASK, "password": MASK}, "release": MASK}


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        ("secrets.db.password", True),
        ("secrets.cookiesSecret", True),
        ("secrets.db.host", False),
        ("secrets.db.username", False),
        ("secrets.existingControlPlaneSecret", False),
        ("secrets.opaque", True),
        ("harmony.partitionKey", False),
        ("harmony.tolerations[0].key", False),
        ("controlPlane.extraEnvVars.API_TOKEN", True),
        ("minio.extraEnvVars[name=API_TOKEN].value", True),
        ("minio.extraEnvVars[name=LOG_LEVEL].value", False),
        ('metadata.annotations["vault.hashicorp.com/agent-inject-token"]', True),
        (("secrets", "s3Creds", "AWS_SECRET_ACCESS_KEY"), True),
        (("harmony", "computePools", 0, "name"), False),
    ],
)
def test_is_secret_path(path, secret):
    assert is_secret_path(path) is secret


def test_mask_line_uses_the_lines_above():
    text = "secrets:\n  password:\n    pl-continued-56\n  host: db\n"
    assert mask_line(text, 2) == "    ••••••••"
    assert mask_line(text, 3) == "  host: db"
    broken = 'secrets:\n  opaque: "pl-unclosed-57\n  [\n'
    assert "pl-unclosed-57" not in mask_line(broken, 1)


@pytest.mark.parametrize(
    "text",
    [
        'secrets:\n  password: "pl-fallback-60\n',
        "secrets:\n  db:\n    password:\n      pl-fallback-60\n  x: [\n",
        "env:\n  - name: API_TOKEN\n    value: pl-fallback-60\n  - {a: [\n",
        "x: {name: API_TOKEN, value: 'pl-fallback-60', broken\n",
        "args: [--token, pl-fallback-60, [\n",
        "url: postgres://u:pl-fallback-60@h/d\n  bad: [\n",
        "common: &a pl-fallback-60\nsecrets:\n  password: *a\n  x: [\n",
        "key: |\n  -----BEGIN PRIVATE KEY-----\n  pl-fallback-60\n  -----END PRIVATE KEY-----\nx: [\n",
        "cfg: |\n  password = pl-fallback-60\nx: [\n",
    ],
)
def test_text_that_does_not_parse_is_masked_line_by_line(text):
    with pytest.raises(InputError):
        parse(text)
    masked = mask_yaml_text(text)
    assert "pl-fallback-60" not in masked
    assert len(split_lines(masked)) == len(split_lines(text))


def test_the_web_apps_structure_view_masks_by_content_and_keeps_a_changed_secret_changed() -> None:
    from webui import jobs

    old = "controlPlane:\n  extraEnvVars:\n    REDIS_URL: redis://app:hunter2@redis:6379\n"
    new = "controlPlane:\n  extraEnvVars:\n    REDIS_URL: redis://app:hunter3@redis:6379\n"
    entries = jobs.structure_view(old, new, reveal=False)
    assert isinstance(entries, list) and "hunter" not in repr(entries)
    assert [e["kind"] for e in entries] == ["changed"]
    html, counts = jobs.diff_view(old, new, left_title="a", right_title="b", reveal=False)
    assert "hunter" not in html and counts["changed"] == 1
