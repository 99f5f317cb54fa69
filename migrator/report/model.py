"""The report object: everything one analysis found, for every face.

The CLI prints it, the web app renders it, support pastes its Markdown into a
ticket. It is plain data (dataclasses) so that it serialises to JSON without
surprises; secrets are masked on the way out unless the caller asks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from migrator.report.secrets import mask_data
from migrator.report.views import ReportViews
from migrator.yaml.paths import Path, describe_path, format_path

Severity = Literal["critical", "warning", "info"]
# up-to-date: nothing to change and the target chart renders it; migrated: changed, and the target
# chart renders it; needs-input: the chart renders it only once the listed values are filled in (the
# file is written); blocked: a human must decide (no file); not-adaptive: another chart's values.
Status = Literal["up-to-date", "migrated", "needs-input", "blocked", "not-adaptive"]


def type_word(value: Any) -> str:
    """The YAML type of a value, in words, for messages (never the value: it may be a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a negative whole number" if value < 0 else "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}

# One set of words for the statuses, for every face: a label (tables, banners) and a sentence.
STATUS_LABEL: dict[str, str] = {
    "up-to-date": "Up to date",
    "migrated": "Migrated",
    "needs-input": "Needs your input",
    "blocked": "Blocked",
    "not-adaptive": "Not an adaptive file",
}
STATUS_SENTENCE: dict[str, str] = {
    "up-to-date": "Up to date: nothing to migrate, and the target chart renders it",
    "migrated": "Migrated: the target chart renders it",
    "needs-input": "Needs your input: the chart renders it once the listed values are filled in",
    "blocked": "Blocked: a human must decide (no migrated file)",
    "not-adaptive": "Not an `adaptive` values file: nothing changed",
}
# The pool fields that can hold secrets (free-form maps a user fills), masked in every shared output.
POOL_FIELDS_TO_MASK = ("resources", "node_selector", "tolerations")

# The keys of a finding about the release's name and namespace: chosen at install, not in the file.
RELEASE: Path = ("release",)
NAMESPACE: Path = ("namespace",)
KEYS_OUTSIDE_THE_FILE = (RELEASE, NAMESPACE)
POOLS: Path = ("harmony", "computePools")


def pool_index(key: Path | None) -> int | None:
    """The compute pool a key is under: ("harmony", "computePools", 1, ...) -> 1."""
    if key is not None and len(key) >= 3 and key[:2] == POOLS:
        return key[2] if isinstance(key[2], int) and not isinstance(key[2], bool) else None
    return None


@dataclass(frozen=True)
class Finding:
    """One thing the user should know. `code` is stable; tests and scripts key on it."""

    code: str
    severity: Severity
    # The key it is about, a tuple until printed: ("harmony", "computePools", 0, "name"); () is the
    # file's top level, ("release",) and ("namespace",) the release's; None: no key (an object, the
    # file as a whole).
    key: Path | None
    message: str
    line: int | None = None
    change_id: str | None = None
    object: str | None = None  # a rendered Kubernetes object it is about, `Kind/name`
    # Which file `line` is a line of: "input" (the file as given) or "migrated" (the file handed back).
    line_in: Literal["input", "migrated"] | None = None

    def __post_init__(self) -> None:
        if self.key is not None and not isinstance(self.key, tuple):
            raise TypeError(f"Finding.key is a tuple path or None, not {self.key!r}")

    @property
    def path(self) -> str:
        """The key, printed: `harmony.computePools[0].name`; "" when the finding is about no key."""
        if self.key is None:
            return ""
        return describe_path(self.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "change_id": self.change_id,
            "object": self.object,
            "line_in": self.line_in,
        }


@dataclass(frozen=True)
class Evidence:
    """A key that told us something about the chart version the file was written for."""

    path: str
    says: str  # e.g. "before 0.18.0" or "0.25.0 or later"
    line: int | None = None


@dataclass
class Detection:
    label: str  # e.g. "0.18.0 – 0.24.x"
    pending: list[str]  # change ids still to apply, in version order
    evidence: list[Evidence]
    low: str | None = None  # earliest version the file can be for (inclusive)
    high: str | None = None  # first version the file cannot be for (exclusive)
    conflict: bool = False


@dataclass
class ChangeOutcome:
    id: str
    version: str
    title: str
    # applied: the file was edited; manual: it applies, but only by hand (nothing to edit);
    # not-needed: the file already has the new layout, or the upgrade does not cross it.
    status: Literal["applied", "manual", "not-needed", "blocked"]
    manual_steps: list[str] = field(default_factory=list)
    explanation: str = ""
    summary: str = ""  # what the assistant did, in one sentence
    blocked_reason: str | None = None


@dataclass(frozen=True)
class Move:
    source_key: Path
    target_key: Path

    @property
    def source(self) -> str:
        return format_path(self.source_key)

    @property
    def target(self) -> str:
        return format_path(self.target_key)

    def to_dict(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target}


@dataclass(frozen=True)
class Drop:
    path: str
    reason: str


@dataclass
class PoolPreview:
    """One compute pool as the chart's templates will render it."""

    name: str
    pool_key: str
    statefulset: str
    headless_service: str
    pods: list[str]
    dns_names: list[str]
    group: str
    partition_key: str
    capabilities: str
    replicas: int
    gpus_per_replica: int
    gpus_total: int
    master_addr: str
    resources: Any
    node_selector: Any
    tolerations: Any
    # field name -> "pool" (overridden), "harmony" (inherited from the file's
    # harmony section) or "chart default" (inherited from the chart's defaults)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # finding codes about this pool
    gpu_count_env: str | None = None  # GPU_COUNT as rendered ("1" even with no GPU requested)
    service_account: str | None = None  # the account the pool's pods run as (None: the namespace default)
    proven: bool = False  # the values above were read from Helm's render of the target chart


@dataclass(frozen=True)
class RenderMessage:
    """The chart refused to render: its own message, where, and the value keys it names."""

    message: str
    template: str | None = None
    keys: tuple[str, ...] = ()
    asks_for_value: bool = False


@dataclass(frozen=True)
class PlaceholderValue:
    """A value only the user can supply, which the chart requires: rendered with a placeholder."""

    key: Path
    line: int | None = None  # of the key in the migrated file (None: the key is not in the file)
    message: str = ""  # the chart's refusal that asked for it

    @property
    def path(self) -> str:
        return format_path(self.key)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message}


@dataclass
class RenderProof:
    """Helm's render of one chart version with one values file."""

    chart_version: str
    status: Literal["ok", "needs-input", "fails", "not-run"]
    messages: list[RenderMessage] = field(default_factory=list)
    placeholders: list[PlaceholderValue] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)  # kind -> how many
    invalid: int = 0  # rendered objects or documents the API server would refuse
    note: str = ""  # why it did not run, or what it could not check

    def to_dict(self) -> dict[str, Any]:
        return {
            "chart_version": self.chart_version,
            "status": self.status,
            "messages": [asdict(m) for m in self.messages],
            "placeholders": [p.to_dict() for p in self.placeholders],
            "objects": dict(self.objects),
            "invalid": self.invalid,
            "note": self.note,
        }


@dataclass(frozen=True)
class FieldChange:
    """One field of a rendered object that the upgrade changes (secret values masked)."""

    path: str
    old: Any = None
    new: Any = None
    kind: str = "changed"  # changed | added | removed


@dataclass
class LedgerEntry:
    """One object the upgrade creates, deletes, renames, re-kinds or changes in the cluster."""

    kind: str
    name: str
    change: Literal["created", "deleted", "renamed", "kind-changed", "changed"]
    severity: Severity
    consequence: str
    new_kind: str | None = None
    new_name: str | None = None
    diff: list[FieldChange] = field(default_factory=list)
    diff_truncated: int = 0  # field changes left out of `diff`

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "new_kind": self.new_kind,
            "new_name": self.new_name,
            "severity": self.severity,
            "consequence": self.consequence,
            "diff": [asdict(d) for d in self.diff],
            "diff_truncated": self.diff_truncated,
        }


@dataclass(frozen=True)
class ChartFit:
    """Whether a file's keys fit the `adaptive` chart at all, and why (its keys against the chart's)."""

    adaptive: bool
    evidence: str  # one sentence for the user
    known: tuple[str, ...] = ()  # top-level keys the chart reads (at some version)
    unknown: tuple[str, ...] = ()  # top-level keys no version of the chart reads
    versions: tuple[str, ...] = ()  # chart versions whose keys fit the file best


@dataclass(frozen=True)
class NextStep:
    """What the operator does now, in order: fill values, do manual steps, run the command."""

    kind: Literal["fill", "manual", "cluster", "command"]
    text: str
    path: str | None = None
    line: int | None = None
    command: str | None = None


@dataclass
class Report:
    source: str
    detected: Detection
    target: str
    status: Status
    changes: list[ChangeOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    dropped: list[Drop] = field(default_factory=list)
    pools: list[PoolPreview] = field(default_factory=list)
    migrated_yaml: str | None = None
    notes: list[str] = field(default_factory=list)
    release: str = "adaptive"
    namespace: str = "default"
    source_version: str | None = None  # the chart version the release runs now (the ledger's "from")
    chart_origin: str | None = None  # the package the caller handed in for the target (None: shipped)
    render: RenderProof | None = None  # the target chart rendered with the migrated values
    source_render: RenderProof | None = None  # the source chart rendered with the original values
    ledger: list[LedgerEntry] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    service_accounts: dict[str, str] = field(default_factory=dict)  # component -> account its pods use
    fit: ChartFit | None = None  # how the file's keys fit the chart (None: not checked)
    # Not serialised: the text as read (after decoding), for diffs in the faces.
    original_yaml: str = field(default="", repr=False)
    # What the faces show of the texts (masked copies, structural diff): see `views`.
    _views: ReportViews | None = field(default=None, init=False, repr=False, compare=False)

    # -- summaries -------------------------------------------------------
    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def changed(self) -> bool:
        return self.migrated_yaml is not None and self.migrated_yaml != self.original_yaml

    @property
    def views(self) -> ReportViews:
        """The texts as the faces show them and their structural diff, each made once: from the
        documents the engine parsed (it sets them), or from the texts of a report built otherwise."""
        views = self._views
        if views is None or not (
            _same_text(views.original, self.original_yaml) and _same_text(views.migrated, self.migrated_yaml)
        ):
            views = self._views = ReportViews(self.original_yaml, self.migrated_yaml)
        return views

    @views.setter
    def views(self, views: ReportViews) -> None:
        self._views = views

    def migrated_yaml_shown(self, *, reveal_secrets: bool = False) -> str | None:
        """The migrated text as a report shows it: secrets masked unless revealed (masked once)."""
        return self.views.migrated_shown(reveal=reveal_secrets)

    @property
    def total_pods(self) -> int:
        return sum(p.replicas for p in self.pools)

    @property
    def total_gpus(self) -> int:
        return sum(p.gpus_total for p in self.pools)

    # -- serialisation ---------------------------------------------------
    def to_dict(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        return {
            "source": self.source,
            "detected": {
                "label": self.detected.label,
                "pending": list(self.detected.pending),
                "evidence": [asdict(e) for e in self.detected.evidence],
                "low": self.detected.low,
                "high": self.detected.high,
                "conflict": self.detected.conflict,
            },
            "target": self.target,
            "from": self.source_version,
            "chart_origin": self.chart_origin,
            "status": self.status,
            "release": self.release,
            "namespace": self.namespace,
            "changes": [asdict(c) for c in self.changes],
            "findings": [f.to_dict() for f in self.findings],
            "moved": [m.to_dict() for m in self.moved],
            "dropped": [asdict(d) for d in self.dropped],
            "pools": [_pool_dict(p, reveal_secrets) for p in self.pools],
            "totals": {"pods": self.total_pods, "gpus": self.total_gpus},
            "render": self.render.to_dict() if self.render else None,
            "source_render": self.source_render.to_dict() if self.source_render else None,
            "ledger": [e.to_dict() for e in self.ledger],
            "next_steps": [asdict(s) for s in self.next_steps],
            "service_accounts": dict(self.service_accounts),
            "fit": asdict(self.fit) if self.fit else None,
            "notes": list(self.notes),
            "secrets_masked": not reveal_secrets,
            "migrated_yaml": self.migrated_yaml_shown(reveal_secrets=reveal_secrets),
        }

    def to_json(self, *, reveal_secrets: bool = False, indent: int = 2) -> str:
        return json.dumps(self.to_dict(reveal_secrets=reveal_secrets), indent=indent, ensure_ascii=False)


def _same_text(a: str | None, b: str | None) -> bool:
    return a is b or a == b


def _pool_dict(pool: PoolPreview, reveal_secrets: bool) -> dict[str, Any]:
    data = asdict(pool)
    if not reveal_secrets:
        for key in POOL_FIELDS_TO_MASK:
            data[key] = mask_data(data[key])
    return data
