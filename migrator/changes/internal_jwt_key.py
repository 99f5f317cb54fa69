"""0.48.0: `secrets.auth.internalJwtPrivateKeyV4Base64` is required.

The assistant never makes up key material. When the file does not have the key, it adds
it EMPTY, with a comment, where it belongs, so the user sees what to fill in; the finding
says the deployment fails until it is filled. With an existing control-plane Secret the
inline value is ignored, so nothing is added and the manual step names the key that
Secret must hold.

Finding codes:
- `internal-jwt-key-missing` (critical): no key, or an empty one, and no existing Secret.
- `existing-secret-keys` (critical): the control-plane Secret the file names must hold
  the key `internalJwtPrivateKeyV4Base64` (as for the 0.18 database keys).
"""

from __future__ import annotations

from typing import Any

from migrator.changes.context import BreakingChange, ChangeContext, Code, get_in

VERSION = "0.48.0"
AUTH = ("secrets", "auth")
KEY = "internalJwtPrivateKeyV4Base64"
PATH = (*AUTH, KEY)
CONTROL_PLANE_SECRET = ("secrets", "existingControlPlaneSecret")  # holds KEY under the same name
COMMENT = (
    f"  # required from chart {VERSION}: base64 private key; see the chart's generate-internal-jwt-key.sh"
)
HOW = (
    "Generate a private key with the chart's `scripts/generate-internal-jwt-key.sh` (or the OpenSSL "
    "commands in its scripts/README.md); the value must be the same on all servers of a cluster."
)


def _needs(data: Any) -> bool:
    missing = object()
    return not get_in(data, CONTROL_PLANE_SECRET) and get_in(data, PATH, missing) is missing


def apply(ctx: ChangeContext) -> None:
    secret = ctx.get(CONTROL_PLANE_SECRET)
    if secret:
        if ctx.crosses(VERSION) is False:
            return
        ctx.finding(
            "existing-secret-keys",
            "critical",
            CONTROL_PLANE_SECRET,
            f"The control-plane settings come from the existing Secret `{secret}`. From {VERSION} the chart "
            f"also reads the key `{KEY}` from it; the deployment fails until the Secret has it.",
        )
        ctx.manual(f"Add the key `{KEY}` to the Secret `{secret}`. {HOW}")
        return
    if not (ctx.expect_mapping(("secrets",)) and ctx.expect_mapping(AUTH)):
        return
    if not ctx.has(PATH):
        ctx.editor.add_key(AUTH, KEY, "", comments={(): COMMENT}, quote='"')
        ctx.finding(
            "internal-jwt-key-missing",
            "critical",
            PATH,
            f"`secrets.auth.{KEY}` is required from chart {VERSION}: the deployment fails without it. The "
            "migrated file has it EMPTY for you to fill in; the assistant never makes up key material.",
        )
        ctx.manual(f"Fill in `secrets.auth.{KEY}`. {HOW}")
        ctx.did(f"Added an empty `secrets.auth.{KEY}` to fill in.")
        return
    if ctx.get(PATH) in (None, ""):
        ctx.finding(
            "internal-jwt-key-missing",
            "critical",
            PATH,
            f"`secrets.auth.{KEY}` is empty; from chart {VERSION} the deployment fails without it.",
        )
        ctx.manual(f"Fill in `secrets.auth.{KEY}`. {HOW}")


CHANGE = BreakingChange(
    id="internal-jwt-key",
    guide_section=("#047x-to-0480", "0.47.x to 0.48.0: Internal API JWT Private Key Required"),
    version=VERSION,
    title="Internal API JWT private key required",
    explanation=(
        f"From {VERSION} the control plane signs internal API tokens with a private key it reads from "
        f"`secrets.auth.{KEY}` (or the key `{KEY}` of `secrets.existingControlPlaneSecret`). "
        "The chart has no default: the deployment fails until it is set. The value must be the same on "
        "all servers of a cluster."
    ),
    automated=(
        f"Adds `secrets.auth.{KEY}` EMPTY, with a comment, when the file does not have it; never "
        "generates a key."
    ),
    manual_steps=(
        f"Generate the key and fill in `secrets.auth.{KEY}` (or add `{KEY}` to the existing "
        "control-plane Secret).",
    ),
    example_before="secrets:\n  auth:\n    oidc:\n      providers: []\n",
    example_after=(f'secrets:\n  auth:\n    oidc:\n      providers: []\n    {KEY}: ""{COMMENT}\n'),
    apply=apply,
    new_keys=("secrets.auth.internalJwtPrivateKeyV4Base64",),
    severity="critical",
    needs=_needs,
    codes=(
        Code(
            "internal-jwt-key-missing",
            ("critical",),
            "`secrets.auth.internalJwtPrivateKeyV4Base64` is required from 0.48.0 and the assistant never "
            "makes up key material: the migrated file has it empty for you to fill in.",
        ),
    ),
)
