"""What the upgrade does to the cluster: the source render against the target render.

Objects are matched by kind and name; objects that disappear and appear with the same
component and pool labels are *renamed*; the same name (or component) under another kind
is *kind-changed* (mlflow's Deployment became a StatefulSet in 0.24). Each entry carries
its consequence for the operator, with a severity, and a structural diff of what changed
(secret values masked). Unchanged objects stay out of the ledger.

The facts about Kubernetes used here (which fields the API server refuses to change, what
Helm does to a removed object) are data at the top of this module.
"""

from __future__ import annotations

import re
from typing import Any

from migrator.chart.render import KubeObject
from migrator.report.model import SEVERITY_ORDER, FieldChange, LedgerEntry
from migrator.report.secrets import MASK, mask_data

# Differences that do not matter to a running release (reviewed): the chart's version label
# and the app version label Helm stamps on every object.
IGNORED_LABELS = ("helm.sh/chart", "app.kubernetes.io/version")
# Fields of `spec` the API server lets an update change; any other change is refused.
STATEFULSET_MUTABLE_SPEC = {
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
}
IMMUTABLE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Deployment": (("spec", "selector"),),
    "DaemonSet": (("spec", "selector"),),
    "ReplicaSet": (("spec", "selector"),),
    "Job": (("spec", "selector"), ("spec", "template")),
    "Service": (("spec", "clusterIP"),),
    "RoleBinding": (("roleRef",),),
    "ClusterRoleBinding": (("roleRef",),),
    "PersistentVolumeClaim": (("spec", "accessModes"), ("spec", "storageClassName"), ("spec", "volumeName")),
}
IAM_ANNOTATIONS = {
    "eks.amazonaws.com/role-arn": "IRSA (AWS)",
    "iam.gke.io/gcp-service-account": "Workload Identity (GKE)",
    "azure.workload.identity/client-id": "Workload Identity (Azure)",
}
# Kinds whose deletion by itself stops nothing that runs (what used them is reported on its own).
INFO_WHEN_DELETED = frozenset(
    {
        "Secret",
        "ConfigMap",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "Job",
        "PodDisruptionBudget",
    }
)
IDENTITY_LABELS = ("app.kubernetes.io/component", "app.kubernetes.io/pool")
MAX_DIFF_LINES = 60  # per object, in the report


def compare(source: list[KubeObject], target: list[KubeObject], *, namespace: str) -> list[LedgerEntry]:
    """Every object the upgrade creates, deletes, renames, re-kinds or changes, most severe first."""
    old = {o.key: o for o in source}
    new = {o.key: o for o in target}
    deleted = [o for k, o in old.items() if k not in new]
    created = [o for k, o in new.items() if k not in old]
    entries: list[LedgerEntry] = []

    # Same name, another kind; or same identity labels, another kind.
    for gone in list(deleted):
        partner = None
        if _workload(gone):
            partner = next(
                (c for c in created if c.name == gone.name and c.kind != gone.kind and _workload(c)), None
            )
        if partner is None:
            partner = next(
                (
                    c
                    for c in created
                    if c.kind != gone.kind and _same_identity(gone, c) and _workload(c) and _workload(gone)
                ),
                None,
            )
        if partner is not None:
            deleted.remove(gone)
            created.remove(partner)
            entries.append(_kind_changed(gone, partner, namespace))
    # Same kind and identity labels, another name; failing that, the one object of its kind and
    # component on each side (harmony's single StatefulSet became the `default` pool's).
    for gone in list(deleted):
        partner = next((c for c in created if c.kind == gone.kind and _same_identity(gone, c)), None)
        if partner is None:
            same = [
                c
                for c in created
                if c.kind == gone.kind and _component(c) and _component(c) == _component(gone)
            ]
            before = [d for d in deleted if d.kind == gone.kind and _component(d) == _component(gone)]
            if len(same) == 1 and len(before) == 1:
                partner = same[0]
        if partner is not None:
            deleted.remove(gone)
            created.remove(partner)
            entries.append(_renamed(gone, partner, namespace))
    entries += [_deleted(o, namespace) for o in deleted]
    entries += [
        _created(o, namespace, created_with=[c for c in created if c.kind == o.kind]) for o in created
    ]
    for key, before in old.items():
        after = new.get(key)
        if after is not None:
            entry = _changed(before, after, namespace)
            if entry is not None:
                entries.append(entry)
    change_order = {"deleted": 0, "renamed": 1, "kind-changed": 2, "changed": 3, "created": 4}
    entries.sort(key=lambda e: (SEVERITY_ORDER[e.severity], change_order[e.change], e.kind, e.name))
    return entries


# -- matching -----------------------------------------------------------------------


def _identity(obj: KubeObject) -> tuple[Any, ...] | None:
    labels = obj.labels
    component = labels.get(IDENTITY_LABELS[0])
    if component is None:
        return None
    return (*(labels.get(k) for k in IDENTITY_LABELS), labels.get("app.kubernetes.io/name"))


def _same_identity(a: KubeObject, b: KubeObject) -> bool:
    identity = _identity(a)
    return identity is not None and identity == _identity(b)


def _component(obj: KubeObject) -> Any:
    return obj.labels.get(IDENTITY_LABELS[0])


def _workload(obj: KubeObject) -> bool:
    return obj.kind in ("Deployment", "StatefulSet", "DaemonSet")


# -- entries ------------------------------------------------------------------------


def _claims(obj: KubeObject) -> list[str]:
    templates = (obj.body.get("spec") or {}).get("volumeClaimTemplates") or []
    return [str((t.get("metadata") or {}).get("name")) for t in templates if isinstance(t, dict)]


def _kubectl(kind: str, name: str, namespace: str) -> str:
    return f"kubectl delete {kind.lower()} {name} -n {namespace} --cascade=orphan"


def _iam(obj: KubeObject) -> list[str]:
    annotations = (obj.body.get("metadata") or {}).get("annotations") or {}
    return [
        IAM_ANNOTATIONS[k] for k in IAM_ANNOTATIONS if isinstance(annotations, dict) and annotations.get(k)
    ]


def _deleted(obj: KubeObject, namespace: str) -> LedgerEntry:
    kind, name = obj.kind, obj.name
    severity, consequence = "warning", f"Helm deletes the {kind} `{name}`."
    if kind == "StatefulSet":
        claims = _claims(obj)
        if claims:
            severity = "critical"
            consequence = (
                f"Helm deletes the StatefulSet `{name}` and its pods. Its PersistentVolumeClaims "
                f"({', '.join(f'`{c}-{name}-N`' for c in claims)}) stay behind, unused: their data is "
                "not carried over to anything the new chart deploys. Back it up first if you need it."
            )
        else:
            consequence = f"Helm deletes the StatefulSet `{name}`: its pods stop."
    elif kind == "Deployment":
        consequence = f"Helm deletes the Deployment `{name}`: its pods stop."
    elif kind == "PersistentVolumeClaim":
        keep = ((obj.body.get("metadata") or {}).get("annotations") or {}).get("helm.sh/resource-policy")
        if keep == "keep":
            severity = "info"
            consequence = f"The chart stops managing the volume claim `{name}` (kept: resource-policy keep)."
        else:
            severity = "critical"
            consequence = (
                f"Helm deletes the PersistentVolumeClaim `{name}`: the volume and its data go too unless "
                "its StorageClass retains released volumes. Back it up first."
            )
    elif kind == "Service":
        consequence = (
            f"Helm deletes the Service `{name}`: anything that connects to `{name}.{namespace}.svc` "
            "(other workloads, ingresses, monitoring) stops reaching it."
        )
    elif kind == "ServiceAccount":
        iam = _iam(obj)
        severity = "critical" if iam else "warning"
        consequence = f"Helm deletes the ServiceAccount `{name}`" + (
            f"; the cloud IAM binding ({', '.join(iam)}) that trusts it no longer applies to any pod."
            if iam
            else "."
        )
    elif kind in INFO_WHEN_DELETED:
        severity = "info"
        consequence = f"Helm deletes the {kind} `{name}` (the new chart no longer uses it)."
    return LedgerEntry(kind, name, "deleted", severity, consequence)


def _created(obj: KubeObject, namespace: str, created_with: list[KubeObject]) -> LedgerEntry:
    kind, name = obj.kind, obj.name
    consequence = f"Helm creates the {kind} `{name}`."
    severity = "info"
    if kind == "ServiceAccount":
        iam = _iam(obj)
        if iam:
            severity = "critical"
            consequence = (
                f"Helm creates the ServiceAccount `{name}` with a cloud IAM annotation ({', '.join(iam)}). "
                f"The cloud side trusts only the accounts it names: bind the role to "
                f"`system:serviceaccount:{namespace}:{name}`, or the pods that run as it lose their cloud "
                "permissions."
            )
    elif kind == "PersistentVolumeClaim":
        consequence = f"Helm creates the PersistentVolumeClaim `{name}`: a new, empty volume is provisioned."
    elif kind == "StatefulSet" and _claims(obj):
        consequence = (
            f"Helm creates the StatefulSet `{name}`; its pods get new, empty volumes "
            f"({', '.join(_claims(obj))})."
        )
    return LedgerEntry(kind, name, "created", severity, consequence)


def _renamed(old: KubeObject, new: KubeObject, namespace: str) -> LedgerEntry:
    kind = old.kind
    severity = "warning"
    consequence = f"Helm deletes the {kind} `{old.name}` and creates `{new.name}` in its place."
    if kind == "StatefulSet":
        claims = _claims(old)
        severity = "critical" if claims else "warning"
        consequence = (
            f"Helm deletes the StatefulSet `{old.name}` and creates `{new.name}`: every pod is replaced and "
            "gets a new name and DNS name"
            + (
                f"; the old PersistentVolumeClaims ({', '.join(f'`{c}-{old.name}-N`' for c in claims)}) stay "
                "behind and are not reattached: the new pods start with empty volumes."
                if claims
                else "."
            )
        )
    elif kind == "Service":
        consequence = (
            f"Helm deletes the Service `{old.name}` and creates `{new.name}`: clients that use "
            f"`{old.name}.{namespace}.svc` must use `{new.name}.{namespace}.svc`."
        )
    elif kind == "ServiceAccount":
        iam = _iam(old) or _iam(new)
        severity = "critical" if iam else "warning"
        consequence = f"The pods run as `{new.name}` instead of `{old.name}`" + (
            f": the cloud IAM binding ({', '.join(iam)}) names the old account, so the pods lose their cloud "
            f"permissions until the role trusts `system:serviceaccount:{namespace}:{new.name}`."
            if iam
            else "; anything granted to the old account (RBAC, cloud IAM) must be granted to the new one."
        )
    entry = LedgerEntry(kind, old.name, "renamed", severity, consequence, new_kind=kind, new_name=new.name)
    entry.diff, entry.diff_truncated = _limited(_diff(old, new))
    return entry


def _kind_changed(old: KubeObject, new: KubeObject, namespace: str) -> LedgerEntry:
    old_claims, new_claims = _claims(old), _claims(new)
    consequence = (
        f"Helm deletes the {old.kind} `{old.name}` and creates the {new.kind} `{new.name}`: its pods are "
        "replaced"
    )
    severity = "warning"
    if old_claims:
        severity = "critical"
        consequence += (
            f"; the old PersistentVolumeClaims ({', '.join(f'`{c}-{old.name}-N`' for c in old_claims)}) stay "
            "behind and are not reattached: their data is not carried over"
        )
    if new_claims:
        consequence += f"; the new pods get new, empty volumes ({', '.join(new_claims)})"
    entry = LedgerEntry(
        old.kind, old.name, "kind-changed", severity, consequence + ".", new_kind=new.kind, new_name=new.name
    )
    entry.diff, entry.diff_truncated = _limited(_diff(old, new))
    return entry


def _changed(old: KubeObject, new: KubeObject, namespace: str) -> LedgerEntry | None:
    changes = _diff(old, new)
    if not changes:
        return None
    frozen = _immutable_changes(old, new)
    if frozen:
        fields = ", ".join(f"`{f}`" for f in frozen)
        entry = LedgerEntry(
            old.kind,
            old.name,
            "changed",
            "critical",
            f"`helm upgrade` fails: the API server refuses to change {fields} of the existing {old.kind} "
            f"`{old.name}`. Delete it first without deleting its pods "
            f"(`{_kubectl(old.kind, old.name, namespace)}`), then upgrade: Helm creates it anew and the "
            "pods are replaced.",
        )
    else:
        what = sorted({_area(c.path) for c in changes})
        restart = any(c.path.startswith("spec.template") for c in changes) and old.kind in (
            "Deployment",
            "StatefulSet",
            "DaemonSet",
        )
        entry = LedgerEntry(
            old.kind,
            old.name,
            "changed",
            "info",
            f"Helm updates the {old.kind} `{old.name}` ({', '.join(what)})"
            + ("; its pods are restarted." if restart else "."),
        )
    entry.diff, entry.diff_truncated = _limited(changes)
    return entry


def _area(path: str) -> str:
    """A short name for what a changed field is about (image, env, resources, ...)."""
    for word in (
        "image",
        "env",
        "resources",
        "replicas",
        "selector",
        "labels",
        "annotations",
        "volume",
        "ports",
        "serviceAccountName",
        "nodeSelector",
        "tolerations",
        "data",
        "stringData",
        "rules",
    ):
        if word in path:
            return word
    return path.split(".")[0].split("[")[0]


def _immutable_changes(old: KubeObject, new: KubeObject) -> list[str]:
    frozen: list[str] = []
    if old.kind == "StatefulSet":
        a, b = old.body.get("spec") or {}, new.body.get("spec") or {}
        for key in sorted(set(a) | set(b)):
            if key not in STATEFULSET_MUTABLE_SPEC and _normal(a.get(key)) != _normal(b.get(key)):
                frozen.append(f"spec.{key}")
    for path in IMMUTABLE_FIELDS.get(old.kind, ()):
        if _normal(_get(old.body, path)) != _normal(_get(new.body, path)):
            frozen.append(".".join(path))
    if (
        old.kind in ("Secret", "ConfigMap")
        and old.body.get("immutable") is True
        and _normal(old.body.get("data")) != _normal(new.body.get("data"))
    ):
        frozen.append("data")
    return frozen


def _get(body: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


# -- structural diff ------------------------------------------------------------------


def _normal(value: Any) -> Any:
    """A body without the reviewed differences that do not matter (IGNORED_LABELS); a label map
    left empty by that is no label map."""
    if isinstance(value, dict):
        out = {k: _normal(v) for k, v in value.items() if not (isinstance(k, str) and k in IGNORED_LABELS)}
        if out.get("labels") == {} and value.get("labels") != {}:
            del out["labels"]
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return (
        len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    )


def _walk(a: Any, b: Any, path: str, out: list[FieldChange]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not key.replace("_", "").replace("-", "").isalnum():
                sub = f"{path}[{key!r}]"
            if key not in b:
                out.append(FieldChange(sub, a[key], None, "removed"))
            elif key not in a:
                out.append(FieldChange(sub, None, b[key], "added"))
            else:
                _walk(a[key], b[key], sub, out)
        return
    if isinstance(a, list) and isinstance(b, list) and a and b and _named(a) and _named(b):
        by_name = {i["name"]: i for i in b}
        for item in a:
            sub = f"{path}[name={item['name']}]"
            if item["name"] in by_name:
                _walk(item, by_name.pop(item["name"]), sub, out)
            else:
                out.append(FieldChange(sub, item, None, "removed"))
        for name, item in by_name.items():
            out.append(FieldChange(f"{path}[name={name}]", None, item, "added"))
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{path}[{i}]", out)
        return
    if type(a) is not type(b) or a != b:
        out.append(FieldChange(path, a, b, "changed"))


def _diff(old: KubeObject, new: KubeObject) -> list[FieldChange]:
    """Field changes between two objects, secret values masked (a changed secret shows as changed)."""
    a, b = _normal(old.body), _normal(new.body)
    raw: list[FieldChange] = []
    _walk(a, b, "", raw)
    secret_kind = old.kind == "Secret" or new.kind == "Secret"
    masked_a, masked_b = mask_data(a), mask_data(b)
    out = []
    for change in raw:
        if secret_kind and change.path.split(".")[0].split("[")[0] in ("data", "stringData"):
            out.append(
                FieldChange(change.path, _masked_secret(change.old), _masked_secret(change.new), change.kind)
            )
            continue
        old_shown = _at(masked_a, change.path, change.old)
        new_shown = _at(masked_b, change.path, change.new)
        out.append(FieldChange(change.path, old_shown, new_shown, change.kind))
    return out


def _masked_secret(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: MASK for k in value}
    return MASK


def _at(masked: Any, path: str, fallback: Any) -> Any:
    """The value at a diff path in a masked body (the diff's own path syntax)."""
    current = masked
    for token in re.findall(r"\[name=([^\]]*)\]|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\.?([^.\[\]]+)", path):
        name, index, quoted, plain = token
        if name:
            current = (
                next((i for i in current if isinstance(i, dict) and i.get("name") == name), None)
                if isinstance(current, list)
                else None
            )
        elif index:
            current = current[int(index)] if isinstance(current, list) and int(index) < len(current) else None
        else:
            key = quoted or plain
            current = current.get(key) if isinstance(current, dict) else None
        if current is None:
            return mask_data(fallback)
    return current


def _limited(changes: list[FieldChange]) -> tuple[list[FieldChange], int]:
    if len(changes) <= MAX_DIFF_LINES:
        return changes, 0
    return changes[:MAX_DIFF_LINES], len(changes) - MAX_DIFF_LINES
