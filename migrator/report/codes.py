"""The finding codes of the pipeline: their usual severity (or severities) and what they mean.

A finding's `code` is stable (tests, scripts and fixtures key on it). The codes only one
breaking change emits are declared with that change (`BreakingChange.codes`, in its module);
these are the others: the keys, the values check, the pool preview, the render proof, the
ledger, the engine, and the ones every change can emit through its context.
`migrator.changes.registry.all_codes()` is the whole list, for the README (`make docs`) and
any face that explains a code.
`tests/test_codes.py` fails when the sources emit a code missing here (it reads them with `ast`),
when a fixture or a corpus report shows a code or a severity missing here, or when an entry
here is no longer emitted anywhere.

`severities` lists, most severe first, every severity the engine gives the code; where there
are two, the meaning says what decides. `sources` says which step emits it: a registered
change's id, or one of `SOURCES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.report.model import Severity

# The steps of the pipeline (besides the changes, named by their id) that emit findings.
SOURCES: dict[str, str] = {
    "any change": "a change of the registry, through its context (migrator/changes/context.py)",
    "keys": "the chart's key catalogue (migrator/keys.py)",
    "values check": "the type check of the migrated values (migrator/chart/value_types.py)",
    "pool preview": "the names and pool preview (migrator/chart/preview.py)",
    "render proof": "Helm's render of the target chart (migrator/chart/proof.py)",
    "ledger": "the comparison of the source and target renders (migrator/chart/ledger.py, proof.py)",
    "engine": "the engine itself (migrator/engine.py)",
}


@dataclass(frozen=True)
class Code:
    code: str
    severities: tuple[Severity, ...]  # most severe first
    meaning: str  # one sentence for users
    # change ids, or keys of SOURCES; a change's own codes (BreakingChange.codes) leave it empty and
    # the registry names the change
    sources: tuple[str, ...] = ()


CODES: tuple[Code, ...] = (
    # -- is it an adaptive file, and which keys does the target read ----------------------------
    Code(
        "not-adaptive",
        ("critical",),
        "The file's keys do not fit the `adaptive` chart (another chart's values): nothing is changed "
        "or written, and the evidence compares its top-level keys with the chart's.",
        ("keys",),
    ),
    Code(
        "unknown-key",
        ("warning",),
        "The target chart does not read this key, so Helm ignores it silently; the message suggests "
        "the key you most likely meant (case, spelling, singular or plural) when one is close.",
        ("keys",),
    ),
    Code(
        "removed-key",
        ("warning",),
        "An older chart version read this key and the target does not, and no change of the registry "
        "migrates it: the key stays in the file, and the message names the last version that read it "
        "and what the upgrade removes with it.",
        ("keys",),
    ),
    # -- the changes -----------------------------------------------------------------------------
    Code(
        "conflict",
        ("critical",),
        "The file holds both the old and the new form of the same settings and they disagree: a human "
        "must decide which is right, so no file is written (blocked).",
        ("db-config-split", "harmony-compute-pools", "service-account-split"),
    ),
    Code(
        "invalid-value",
        ("critical",),
        "A value has a type the chart cannot use (for instance text where a mapping or a number is "
        "expected); the message names the key, its line and the type found.",
        ("any change", "values check"),
    ),
    Code(
        "existing-secret-keys",
        ("critical",),
        "The settings come from an existing Secret of yours, and the new chart reads other keys from "
        "it: the file is right, but the deployment fails until you change the Secret (needs input).",
        ("db-config-split", "internal-jwt-key"),
    ),
    # -- the names and the pool preview ----------------------------------------------------------
    Code(
        "invalid-name",
        ("critical",),
        "A release, namespace or pool name, or a name the chart makes from it, breaks a Helm or "
        "Kubernetes naming rule (or reads as a YAML boolean or number where the chart writes it "
        "unquoted): the install fails.",
        ("pool preview",),
    ),
    Code(
        "name-collision",
        ("critical",),
        "Two objects get the same kind and name (two pools named alike, or a long release name that "
        "the chart's cuts leave without the component's name): one replaces the other or the install "
        "fails.",
        ("pool preview",),
    ),
    Code(
        "harmony-disabled",
        ("info",),
        "Harmony is disabled: the chart creates no compute pools.",
        ("pool preview",),
    ),
    Code(
        "no-compute-pools",
        ("critical",),
        "Harmony is enabled but `harmony.computePools` is missing or empty, and the chart refuses to "
        "render without at least one pool.",
        ("pool preview",),
    ),
    Code(
        "invalid-pool",
        ("critical",),
        "`harmony.computePools` or one of its entries is not what the chart can render (a list of "
        "mappings with a name).",
        ("pool preview",),
    ),
    Code(
        "replicas-zero",
        ("warning",),
        "A pool's `replicas` is empty, zero or not a number, and the chart does not do what it seems "
        "to say (zero or empty deploys one replica; text deploys none).",
        ("pool preview",),
    ),
    Code(
        "empty-override-ignored",
        ("warning",),
        "A pool sets a setting to an empty value, probably to clear it, but the chart treats empty as "
        "unset and uses the harmony-level value instead.",
        ("pool preview",),
    ),
    Code(
        "gpu-not-required",
        ("info",),
        "A pool has `requireGpu: false`: the chart requests no GPU and drops the GPU toleration, yet "
        "still tells the workers a GPU_COUNT.",
        ("pool preview",),
    ),
    Code(
        "no-gpu-requested",
        ("warning",),
        "A pool's `gpusPerReplica` is empty, so its pods request no GPU, yet the workers are told "
        'GPU_COUNT="1".',
        ("pool preview",),
    ),
    Code(
        "require-gpu-ignored",
        ("warning",),
        "A pool sets `requireGpu: false`, but the target chart reads it only from 0.37.0: the pods "
        "still request GPUs and wait for GPU nodes.",
        ("pool preview",),
    ),
    Code(
        "requests-dropped",
        ("critical", "warning"),
        "A pool's resources have no `requests`: critical when the pool has GPUs (the chart then "
        "writes a StatefulSet that is not valid YAML), a warning otherwise (the default requests are "
        "dropped, not merged).",
        ("pool preview",),
    ),
    Code(
        "limits-dropped",
        ("critical", "warning"),
        "A pool's resources have no `limits`: critical when the pool has GPUs (the chart then writes "
        "a StatefulSet that is not valid YAML), a warning otherwise (the pods run without the default "
        "limits).",
        ("pool preview",),
    ),
    Code(
        "node-selector-invalid-yaml",
        ("critical",),
        "Before chart 0.28.0 a nodeSelector of more than one line renders a StatefulSet that is not "
        "valid YAML: keep one label, or upgrade further.",
        ("pool preview",),
    ),
    Code(
        "unknown-capability",
        ("warning",),
        "A pool asks for a capability the target chart's workers do not know (or gives capabilities "
        "that are not comma-separated text), so the pool will not take that work.",
        ("pool preview",),
    ),
    Code(
        "deprecated-capability",
        ("info",),
        "A pool uses TRAINING or EVALUATION, deprecated from chart 0.38.3 in favour of JOB.",
        ("pool preview",),
    ),
    # -- Helm's render of the target chart -------------------------------------------------------
    Code(
        "value-required",
        ("critical",),
        "The target chart refuses to render until this value is set and only you can know it: the "
        "render was proven with a placeholder in its place (needs input).",
        ("render proof",),
    ),
    Code(
        "chart-refuses",
        ("critical",),
        "The target chart refuses to render these values (its own `fail` or `required` message is "
        "quoted), so `helm upgrade` fails until the named keys are changed.",
        ("render proof",),
    ),
    Code(
        "invalid-manifest",
        ("critical",),
        "The target chart renders a document that is not valid YAML with these values: the install or "
        "upgrade fails.",
        ("render proof",),
    ),
    Code(
        "invalid-object",
        ("critical",),
        "The target chart renders an object Kubernetes rejects (a name, a label value or an "
        "environment value that breaks the API's rules): the install or upgrade fails.",
        ("render proof",),
    ),
    # -- what the upgrade does to the cluster ----------------------------------------------------
    Code(
        "object-deleted",
        ("critical", "warning"),
        "The upgrade deletes this object: critical when data goes with it (a StatefulSet's or "
        "PersistentVolumeClaim's volumes), a warning otherwise (its pods stop, its clients lose it).",
        ("ledger",),
    ),
    Code(
        "object-renamed",
        ("critical", "warning"),
        "The upgrade replaces this object by one with another name: critical when a StatefulSet's "
        "volumes stay behind and the new pods start empty, a warning otherwise (new pod and DNS names).",
        ("ledger",),
    ),
    Code(
        "object-kind-changed",
        ("critical", "warning"),
        "The upgrade replaces this object by one of another kind (e.g. mlflow's Deployment becomes a "
        "StatefulSet): its pods are replaced, and critical when its old volumes are not reattached.",
        ("ledger",),
    ),
    Code(
        "object-created",
        ("warning",),
        "The upgrade creates an object that needs the operator's attention (a new object is "
        "otherwise information in the ledger; a new service account with a cloud IAM binding is "
        "reported as `iam-binding-lost`).",
        ("ledger",),
    ),
    Code(
        "object-changed",
        ("warning",),
        "The upgrade changes an object in a way that needs the operator's attention (an ordinary "
        "update is information in the ledger; one the API server refuses is `immutable-field`).",
        ("ledger",),
    ),
    Code(
        "immutable-field",
        ("critical",),
        "The upgrade changes a field the API server refuses to change in place (a selector, a "
        "StatefulSet's serviceName or volume claim templates): `helm upgrade` fails until the object "
        "is deleted first, as the message shows.",
        ("ledger",),
    ),
    Code(
        "iam-binding-lost",
        ("critical",),
        "A service account with a cloud IAM binding is created, deleted or renamed by the upgrade: "
        "the pods lose their cloud permissions until the cloud role trusts the new account.",
        ("ledger",),
    ),
    # -- the engine ------------------------------------------------------------------------------
    Code(
        "edit-refused",
        ("critical",),
        "The file could not be edited safely at this place (the editor's check of its own result "
        "failed), so no file is written (blocked).",
        ("engine",),
    ),
)
