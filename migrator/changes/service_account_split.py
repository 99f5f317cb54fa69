"""0.30.0: the global `serviceAccount` becomes one account per component.

Finding codes:
- `service-account-automount-dropped`: `serviceAccount.automount` has no place any more
  (the new accounts always mount their token); warning when it was `false`.
- `iam-binding-update` (critical): the annotations bind a cloud IAM identity (IRSA,
  GKE Workload Identity, Azure Workload Identity); the binding names the old account.
- `service-account-name-ignored`: the target chart (0.30.0 to 0.37.1) ignores
  `<component>.serviceAccount.name`: the pods run as generated names; critical when the
  account was not created by the chart (`create: false`), since nothing creates those.
- `service-account-kept` (info): from 0.37.2 the three components keep running as the
  account the file named (one component creates it, the others use it), so bindings hold.
- `service-account-names` (info): the account each component runs as after the upgrade.
"""

from __future__ import annotations

from typing import Any

from migrator.changes.context import BreakingChange, ChangeContext, Code, Keep, facts, service_account_name

VERSION = "0.30.0"
GLOBAL = ("serviceAccount",)
# values section -> the component name the chart uses in generated account names
COMPONENTS = {"controlPlane": "controlplane", "harmony": "harmony", "sandkasten": "sandkasten"}
MOVED_FIELDS = ("create", "annotations", "name")
IAM_ANNOTATIONS = {
    "eks.amazonaws.com/role-arn": "IRSA (AWS)",
    "iam.gke.io/gcp-service-account": "Workload Identity (GKE)",
    "azure.workload.identity/client-id": "Workload Identity (Azure)",
}


def _inline_comments(ctx: ChangeContext, path: tuple, value: Any, rel: tuple = ()) -> dict[tuple, str]:
    """Inline comments of `path` and everything under it, keyed by path relative to `path`."""
    found = {rel: ctx.doc.inline_comment(path)} if rel else {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_inline_comments(ctx, (*path, key), item, (*rel, key)))
    return {k: v for k, v in found.items() if v}


def _honours_names(ctx: ChangeContext) -> bool:
    return facts.SERVICE_ACCOUNT_NAME_HONOURED.holds(ctx.target)


def _account_names(ctx: ChangeContext, name: Any) -> dict[str, str]:
    """The account each component's pods run as at the target chart, by the chart's own rules."""
    wanted = name if isinstance(name, str) and name else None
    return {
        section: service_account_name(ctx.release, comp, chart_version=ctx.target.parts, name=wanted)
        for section, comp in COMPONENTS.items()
    }


def _iam_findings(ctx: ChangeContext, annotations: Any, names: dict[str, str]) -> None:
    if not isinstance(annotations, dict):
        return
    bound = [key for key in IAM_ANNOTATIONS if annotations.get(key)]
    if not bound:
        return
    kinds = ", ".join(IAM_ANNOTATIONS[key] for key in bound)
    listed = ", ".join(f"{section} `{names[section]}`" for section in COMPONENTS)
    subjects = ", ".join(
        f"`system:serviceaccount:{ctx.namespace}:{names[section]}`" for section in COMPONENTS
    )
    ctx.finding(
        "iam-binding-update",
        "critical",
        (*GLOBAL, "annotations", bound[0]),
        f"The service account carries a cloud IAM binding ({kinds}). From {VERSION} the pods run as three "
        f"accounts ({listed}); the cloud side trusts only the account name it was given, so the pods "
        "lose their cloud permissions until the binding is updated. The annotation is copied to all "
        "three accounts: one role now applies to three accounts.",
    )
    ctx.manual(
        f"Update the cloud IAM binding ({kinds}) for the new service accounts in namespace "
        f"`{ctx.namespace}`: {subjects} (IRSA: the role's trust policy; GKE: the "
        "`roles/iam.workloadIdentityUser` binding). Consider one role per component instead of one "
        "shared role for all three."
    )


def apply(ctx: ChangeContext) -> None:
    if not ctx.has(GLOBAL):
        return
    accounts = [GLOBAL] + [(section, "serviceAccount") for section in COMPONENTS]
    if not all(ctx.expect_mapping((section,)) for section in COMPONENTS) or not all(
        ctx.expect_mapping(path, "a mapping with create, annotations and name") for path in accounts
    ):
        return
    account = ctx.get(GLOBAL) or {}

    moved = {key: Keep((*GLOBAL, key)) for key in MOVED_FIELDS if key in account}
    comments = {k: v for k, v in _inline_comments(ctx, GLOBAL, account).items() if k[0] in MOVED_FIELDS}
    wanted = {key: account[key] for key in moved}
    # Where a component already has its own account, it must agree with the global one.
    targets = []
    for section in COMPONENTS:
        existing = ctx.get((section, "serviceAccount"))
        if existing is None:
            targets.append(section)
        elif any(existing.get(key) != value for key, value in wanted.items()):
            ctx.block(
                f"The file has both the global `serviceAccount` and `{section}.serviceAccount`, and they "
                "disagree. Decide which settings each component's account should have, delete the global "
                "`serviceAccount`, and run the assistant again.",
                (section, "serviceAccount"),
            )
            return

    names = _account_names(ctx, account.get("name"))
    name = account.get("name")
    creates = account.get("create", True) is not False
    # From 0.37.2 the pods can keep the very account the file named: the first component
    # creates it (when the old chart did), the others use it. IAM bindings then still hold.
    keep_account = isinstance(name, str) and bool(name) and _honours_names(ctx) and "name" in moved
    creator = next((s for s in COMPONENTS if s in targets), None) if keep_account and creates else None
    if moved:
        # Components present in the file first: keys added at the same place keep this order.
        present = [s for s in targets if ctx.has((s,))]
        order = present + [s for s in targets if s not in present]
        for section in order:
            fields: dict[str, Any] = dict(moved)
            if keep_account and section != creator:
                fields = {"create": False, "name": Keep((*GLOBAL, "name"))}
            if ctx.has((section,)):
                ctx.editor.add_key((section,), "serviceAccount", fields, comments=comments)
            else:
                nested = {("serviceAccount", *k): v for k, v in comments.items()}
                ctx.editor.add_key((), section, {"serviceAccount": fields}, comments=nested)
            for key, value in fields.items():
                if isinstance(value, Keep):
                    ctx.move((*GLOBAL, key), (section, "serviceAccount", key))
    removed_comments = ctx.editor.remove_key(GLOBAL)

    if "automount" in account:
        off = account["automount"] is False
        ctx.drop(
            (*GLOBAL, "automount"), f"the per-component accounts from {VERSION} always mount their token"
        )
        ctx.finding(
            "service-account-automount-dropped",
            "warning" if off else "info",
            (*GLOBAL, "automount"),
            f"`serviceAccount.automount` is gone from {VERSION}: the new accounts always mount the API token"
            + ("; here it was `false`, so the pods now get a token they did not have." if off else "."),
        )
        if off:
            ctx.manual(
                "The pods now mount a service-account token (`automount: false` is gone); check that "
                "your security policy allows it."
            )
    for key in account:
        if key not in (*MOVED_FIELDS, "automount"):
            ctx.drop((*GLOBAL, key), f"not a setting of the per-component accounts from {VERSION}")

    if moved:
        if keep_account:
            ctx.finding(
                "service-account-kept",
                "info",
                (*GLOBAL, "name"),
                f"From chart {ctx.target} the components keep running as `{name}`, the account the file "
                "names: "
                + (
                    f"`{creator}` creates it and the others use it (`create: false`), "
                    if creator
                    else "none of them creates it (`create: false`, as before), "
                )
                + "so RBAC and cloud IAM bindings that name it keep working.",
            )
        elif isinstance(name, str) and name:
            generated = _account_names(ctx, None)
            ctx.finding(
                "service-account-name-ignored",
                "warning" if creates else "critical",
                (*GLOBAL, "name"),
                f"Chart {ctx.target} ignores `<component>.serviceAccount.name` (it is honoured from "
                f"{facts.SERVICE_ACCOUNT_NAME_HONOURED.since}): the pods run as "
                + ", ".join(f"`{generated[s]}`" for s in COMPONENTS)
                + (
                    ", which the chart creates."
                    if creates
                    else ", which nothing creates (`create: false`): the pods cannot start. Upgrade to "
                    f"{facts.SERVICE_ACCOUNT_NAME_HONOURED.since} or later, or let the chart "
                    "create the accounts."
                ),
            )
        if not keep_account:
            _iam_findings(ctx, account.get("annotations"), names)
        ctx.finding(
            "service-account-names",
            "info",
            GLOBAL,
            f"At chart {ctx.target} the pods run as: "
            + ", ".join(f"{section} `{names[section]}`" for section in COMPONENTS)
            + ".",
        )
        fields = ", ".join(f"`{key}`" for key in moved)
        ctx.did(
            f"Moved the global `serviceAccount` ({fields}) into `controlPlane`, `harmony` and `sandkasten`."
        )
    else:
        ctx.did("Removed the global `serviceAccount`, which set nothing the new accounts take.")
    if removed_comments:
        ctx.did(
            f"Its {removed_comments} comment line{'s' if removed_comments != 1 else ''} went with it "
            "(they described the old keys)."
        )


CHANGE = BreakingChange(
    id="service-account-split",
    guide_section=("#029x-to-0300", "0.29.x to 0.30.0: Service Account Split"),
    version=VERSION,
    title="One service account per component",
    explanation=(
        "Up to 0.29 one global `serviceAccount` (create, automount, annotations, name) served every pod. "
        "From 0.30.0 the control plane, harmony and sandkasten each have their own "
        "`<component>.serviceAccount` (create, annotations, name), named `<release>-controlplane-sa`, "
        "`<release>-harmony-sa` and `<release>-sandkasten-sa` unless a name is set; `automount` is gone "
        "(the token is always mounted). The global key is ignored, so its annotations (e.g. an IAM role) "
        "silently stop applying. Cloud IAM bindings that name the old account must be updated by hand."
    ),
    automated=(
        "Copies the global `create`, `annotations` and `name` into `controlPlane.serviceAccount`, "
        "`harmony.serviceAccount` and `sandkasten.serviceAccount`, removes the global key, and reports "
        "the dropped `automount` and the account names each component gets."
    ),
    manual_steps=(
        "If the annotations bind a cloud IAM role (IRSA `eks.amazonaws.com/role-arn`, GKE "
        "`iam.gke.io/gcp-service-account`), update the binding for the three new account names.",
        "A role that was bound to one account now applies to three: consider one role per component.",
    ),
    example_before=(
        "serviceAccount:\n  create: true\n  automount: true\n  annotations:\n"
        '    eks.amazonaws.com/role-arn: arn:aws:iam::123456789:role/adaptive-role\n  name: ""\n'
    ),
    example_after=(
        "controlPlane:\n  serviceAccount:\n    create: true\n    annotations:\n"
        '      eks.amazonaws.com/role-arn: arn:aws:iam::123456789:role/adaptive-role\n    name: ""\n'
        "harmony:\n  serviceAccount:\n    create: true\n    annotations:\n"
        '      eks.amazonaws.com/role-arn: arn:aws:iam::123456789:role/adaptive-role\n    name: ""\n'
        "sandkasten:\n  serviceAccount:\n    create: true\n    annotations:\n"
        '      eks.amazonaws.com/role-arn: arn:aws:iam::123456789:role/adaptive-role\n    name: ""\n'
    ),
    apply=apply,
    old_keys=("serviceAccount",),
    new_keys=("controlPlane.serviceAccount", "harmony.serviceAccount", "sandkasten.serviceAccount"),
    severity="warning",
    codes=(
        Code(
            "iam-binding-update",
            ("critical",),
            "The global service account carries a cloud IAM binding (IRSA, GKE workload identity); from "
            "0.30.0 the pods run as per-component accounts, which lose the cloud permissions until the "
            "binding names them.",
        ),
        Code(
            "service-account-automount-dropped",
            ("warning", "info"),
            "`serviceAccount.automount` is gone from 0.30.0 and the new accounts always mount the API "
            "token: a warning when it was `false` (the pods now get a token they did not have).",
        ),
        Code(
            "service-account-kept",
            ("info",),
            "The components keep running as the service account the file names, so the RBAC and cloud "
            "IAM bindings that name it keep working.",
        ),
        Code(
            "service-account-name-ignored",
            ("critical", "warning"),
            "The target chart ignores the service account name the file sets and the pods run as "
            "generated names: critical when nothing creates those accounts (the pods cannot start), a "
            "warning when the chart creates them.",
        ),
        Code(
            "service-account-names",
            ("info",),
            "The service accounts the control plane, harmony and sandkasten pods run as at the target chart.",
        ),
    ),
)
