"""0.42.0: S3 credentials get `secrets.s3Creds`; secret values lose their placeholder defaults.

Up to 0.41 the chart's defaults held placeholders (`s3://bucket-name/...`, `username`, a
`change-me-...` cookie secret, a Google provider with `replace_client_id`); from 0.42.0 they
are empty, so a file that relied on them deploys with nothing. This change never writes a
secret value: it reports what must be set.

Opt-in rewrite `s3-creds-move`: S3 credentials given as environment variables in
`controlPlane`/`harmony`/`sandkasten.extraEnvVars` move into `secrets.s3Creds` (the values
carried over as written).

Finding codes:
- `secret-default-removed` (critical): a required secret value is not set; the chart's
  placeholder default is gone (a warning for the OIDC providers, which the chart does not
  require: no one can sign in through SSO).
- `secret-empty`: a required secret value is set but empty (critical; warning for an empty
  OIDC provider list).
- `secret-placeholder` (critical): a secret value still holds the old chart's placeholder.
- `s3-creds-move` (info): S3 credentials in `extraEnvVars` can move into `secrets.s3Creds`.
- `s3-creds-widened` (info): after the move, components that had no credentials get them too.
- `s3-creds-conflict` (warning): the move was asked for but cannot be done safely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrator.changes.context import BreakingChange, ChangeContext, Code, Keep, format_path

VERSION = "0.42.0"
OPTION = "s3-creds-move"
SECRETS = ("secrets",)
S3_CREDS = ("secrets", "s3Creds")
EXISTING_S3 = ("secrets", "existingS3CredsSecret")
CONTROL_PLANE_SECRET = ("secrets", "existingControlPlaneSecret")
HARMONY_SECRET = ("secrets", "existingHarmonySecret")
COMPONENTS = ("controlPlane", "harmony", "sandkasten")
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")  # what makes an env block S3 credentials
S3_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "S3_FORCE_PATH_STYLE",
)


def _is(text: str) -> Callable[[Any], bool]:
    return lambda value: value == text


def _placeholder_provider(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(p, dict)
        and (p.get("client_id") == "replace_client_id" or p.get("client_secret") == "replace_client_secret")
        for p in value
    )


# path, the chart's placeholder before 0.42 (as shown), test for a placeholder value, who supplies it
# instead when set (a Secret of the user's, or a chart feature).
REQUIRED: tuple[tuple[tuple[str, ...], str, Callable[[Any], bool], str], ...] = (
    (("secrets", "db", "username"), "username", _is("username"), "db"),
    (("secrets", "db", "password"), "password", _is("password"), "db"),
    (
        ("secrets", "db", "host"),
        "db_address:5432",
        lambda v: isinstance(v, str) and v.split(":")[0] == "db_address",
        "db",
    ),
    (("secrets", "db", "database"), "db_name", _is("db_name"), "db"),
    (
        ("secrets", "cookiesSecret"),
        "change-me-secret-…",
        lambda v: isinstance(v, str) and v.startswith("change-me"),
        "control-plane",
    ),
    (
        ("secrets", "modelRegistryUrl"),
        "s3://bucket-name/model_registry",
        lambda v: isinstance(v, str) and "//bucket-name/" in v,
        "harmony",
    ),
    (
        ("secrets", "sharedDirectoryUrl"),
        "s3://bucket-name/shared",
        lambda v: isinstance(v, str) and "//bucket-name/" in v,
        "harmony",
    ),
    (
        ("secrets", "auth", "oidc", "providers"),
        "a Google provider with `replace_client_id`",
        _placeholder_provider,
        "control-plane",
    ),
)


def _supplied_elsewhere(ctx: ChangeContext, group: str) -> bool:
    control_plane = bool(ctx.get(CONTROL_PLANE_SECRET))
    if group == "db":
        return control_plane or ctx.get(("installPostgres", "enabled")) is True
    if group == "control-plane":
        return control_plane
    return bool(ctx.get(HARMONY_SECRET)) or ctx.get(("s3proxy", "enabled")) is True


def _secret_findings(ctx: ChangeContext) -> None:
    for path, placeholder, is_placeholder, group in REQUIRED:
        if _supplied_elsewhere(ctx, group):
            continue
        value = ctx.get(path)
        name = f"`{format_path(path)}`"
        providers = path[-1] == "providers"  # SSO's provider list: not required by the chart
        if not ctx.has(path):
            ctx.finding(
                "secret-default-removed",
                "warning" if providers else "critical",
                path,
                f"{name} is not set. Up to 0.41 the chart filled in {placeholder}; from "
                f"{VERSION} it has no default, and the deployment gets an empty value"
                + (": no one can sign in through SSO." if providers else ". Set it."),
            )
        elif value is None or value == "" or value == []:
            ctx.finding(
                "secret-empty",
                "warning" if providers else "critical",
                path,
                f"{name} is empty"
                + (
                    ": no OIDC provider is configured, so no one can sign in through SSO."
                    if providers
                    else f"; the chart requires a value (no placeholder default from {VERSION})."
                ),
            )
        elif is_placeholder(value):
            ctx.finding(
                "secret-placeholder",
                "critical",
                path,
                f"{name} still holds the chart's old placeholder ({placeholder}); it cannot work. "
                "Set the real value.",
            )


def _env_creds(ctx: ChangeContext) -> dict[str, list[str]]:
    """Component -> the S3 variables in its `extraEnvVars` (only where credentials are set)."""
    found: dict[str, list[str]] = {}
    for component in COMPONENTS:
        env = ctx.get((component, "extraEnvVars"))
        if isinstance(env, dict) and any(key in env for key in CREDENTIALS):
            found[component] = [key for key in env if key in S3_ENV]
    return found


def _move_creds(ctx: ChangeContext, found: dict[str, list[str]]) -> None:
    if ctx.get(EXISTING_S3):
        ctx.finding(
            "s3-creds-conflict",
            "warning",
            EXISTING_S3,
            "`secrets.existingS3CredsSecret` is set, so the chart ignores `secrets.s3Creds`: the "
            "credentials in `extraEnvVars` were not moved. Put them in that Secret by hand.",
        )
        return
    if not ctx.expect_mapping(S3_CREDS, "a mapping of environment variables"):
        return
    existing = ctx.get(S3_CREDS) or {}
    values: dict[str, tuple[Any, tuple]] = {}
    for component, keys in found.items():
        for key in keys:
            source = (component, "extraEnvVars", key)
            value = ctx.get(source)
            first = values.setdefault(key, (value, source))
            other = None
            if first[0] != value:
                other = format_path(first[1])
            elif key in existing and existing[key] != value:
                other = "secrets.s3Creds"
            if other:
                ctx.finding(
                    "s3-creds-conflict",
                    "warning",
                    source,
                    f"`{key}` has different values in `{other}` and `{format_path(source)}`, and "
                    "`secrets.s3Creds` holds one value for all pods. Nothing was moved: decide which value "
                    "is right and run the assistant again.",
                )
                return
    new = {key: Keep(source) for key, (_, source) in values.items() if key not in existing}
    if new:
        if not ctx.has(S3_CREDS):
            ctx.editor.add_key(SECRETS, "s3Creds", new)
        elif not existing:
            ctx.editor.replace_key(S3_CREDS, "s3Creds", new)
        else:
            for key, value in new.items():
                ctx.editor.add_key(S3_CREDS, key, value)
    for component, keys in found.items():
        for key in keys:
            ctx.editor.remove_key((component, "extraEnvVars", key))
            ctx.move((component, "extraEnvVars", key), (*S3_CREDS, key))
    without = [c for c in COMPONENTS if c not in found]
    if without:
        ctx.finding(
            "s3-creds-widened",
            "info",
            S3_CREDS,
            f"`secrets.s3Creds` goes to the control-plane, harmony and sandkasten pods; before, "
            f"{', '.join(f'`{c}`' for c in without)} had no S3 credentials of their own.",
        )
    ctx.did(
        f"Moved the S3 credentials from {', '.join(f'`{c}.extraEnvVars`' for c in found)} into "
        "`secrets.s3Creds`."
    )


def apply(ctx: ChangeContext) -> None:
    _secret_findings(ctx)
    found = _env_creds(ctx)
    if not found:
        return
    if ctx.opted(OPTION):
        _move_creds(ctx, found)
        return
    for component, keys in found.items():
        ctx.finding(
            "s3-creds-move",
            "info",
            (component, "extraEnvVars"),
            f"S3 credentials are given as environment variables in `{component}.extraEnvVars` "
            f"({', '.join(keys)}). From {VERSION} they belong in `secrets.s3Creds`, which the chart keeps "
            f"in a Secret and gives to the control-plane, harmony and sandkasten pods; run with the "
            f"option `{OPTION}` to move them.",
        )


CHANGE = BreakingChange(
    id="s3-creds-and-secret-defaults",
    guide_section=("#041x-to-0420", "0.41.x to 0.42.0: S3 Credentials and Secret Defaults"),
    version=VERSION,
    title="S3 credentials in `secrets.s3Creds`; no placeholder secrets",
    explanation=(
        "From 0.42.0 S3 credentials have their own place: `secrets.s3Creds`, a map of environment "
        "variables the chart stores in a Secret and injects into the control-plane, harmony and "
        "sandkasten pods (or `secrets.existingS3CredsSecret`; filled from MinIO when `minio.enabled`). "
        "At the same time the inline secret values (`secrets.db.*`, `cookiesSecret`, `modelRegistryUrl`, "
        "`sharedDirectoryUrl`, `auth.oidc.providers`) lose their placeholder defaults such as "
        "`s3://bucket-name/model_registry` or `username`: a file that relied on them must now set them."
    ),
    automated=(
        "Reports every required secret value that is missing, empty or still a placeholder (never "
        f"inventing one). On request (option `{OPTION}`), moves S3 credentials from the components' "
        "`extraEnvVars` into `secrets.s3Creds`."
    ),
    manual_steps=(
        "Set every secret value the file relied on the chart's defaults for (database, cookie secret, "
        "bucket URLs, OIDC providers), or provide them through the existing Secrets.",
    ),
    example_before=(
        'harmony:\n  extraEnvVars:\n    AWS_ACCESS_KEY_ID: AKxxx\n    AWS_SECRET_ACCESS_KEY: "xxx"\n'
    ),
    example_after=(
        'secrets:\n  s3Creds:\n    AWS_ACCESS_KEY_ID: AKxxx\n    AWS_SECRET_ACCESS_KEY: "xxx"\n'
        "harmony:\n  extraEnvVars: {}\n"
    ),
    apply=apply,
    new_keys=("secrets.s3Creds", "secrets.existingS3CredsSecret"),
    severity="critical",
    options=(OPTION,),
    codes=(
        Code(
            "secret-default-removed",
            ("critical", "warning"),
            "A required secret is not set, and from 0.42.0 the chart no longer fills in a placeholder "
            "for it: critical (set it), except the OIDC provider list, a warning (no one can sign in "
            "through SSO).",
        ),
        Code(
            "secret-empty",
            ("critical", "warning"),
            "A required secret is empty: critical (the chart requires a value from 0.42.0), except the "
            "OIDC provider list, a warning (no one can sign in through SSO).",
        ),
        Code(
            "secret-placeholder",
            ("critical",),
            "A secret still holds the chart's old placeholder value, which cannot work: set the real value.",
        ),
        Code(
            "s3-creds-move",
            ("info",),
            "S3 credentials are given as environment variables in `extraEnvVars`; from 0.42.0 they belong "
            "in `secrets.s3Creds`, and the option `--opt s3-creds-move` moves them.",
        ),
        Code(
            "s3-creds-conflict",
            ("warning",),
            "The S3 credentials could not be moved into `secrets.s3Creds` (an existing S3 Secret takes "
            "precedence, or the components give different values): nothing was moved.",
        ),
        Code(
            "s3-creds-widened",
            ("info",),
            "After the move, `secrets.s3Creds` reaches the control-plane, harmony and sandkasten pods, "
            "including components that had no S3 credentials of their own before.",
        ),
    ),
)
