"""Helm's own engine renders the chart: the proof of what a values file deploys.

`render(package, values_text, release=..., namespace=...)` reads the values with Helm's
own YAML reader (so the render sees exactly what `helm upgrade -f` would), renders the
chart offline, and parses every rendered document into `KubeObject`s. When the chart
refuses (its `fail` and `required` messages), the refusal is read back into the keys it
names; when the keys are values only the user can supply (secrets, keys, passwords), the
render is retried with clearly marked placeholders in their place, so that the rest of the
chart is still proven, and the placeholders are listed. Any other refusal stops the render.

Loaded charts are kept per process (Helm's charts are immutable and thread-safe). Helm's Go
runtime does not survive `fork`: processes that render must be spawned (see worker.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from migrator.chart.packages import ChartPackage
from migrator.errors import InputError
from migrator.yaml.parse import LINE_BREAK
from migrator.yaml.paths import Path, format_path

PLACEHOLDER_PREFIX = "PLACEHOLDER-fill-in-"
MAX_PLACEHOLDER_ROUNDS = 16

# Helm: "execution error at (adaptive/templates/x.yaml:8:10): message"
_EXECUTION_ERROR = re.compile(r"^execution error at \(([^):]+):(\d+):(\d+)\): (.*)$", re.S)
# Helm: "adaptive/templates/x.yaml:21:34\n  executing ... at <.Values.harmony.computePools>: ..."
_TEMPLATE_ERROR = re.compile(r"^([^\s:]+\.(?:yaml|yml|tpl|txt)):(\d+):(\d+)\b(.*)$", re.S)
_AT_VALUES = re.compile(r"at <\$?(?:root)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_QUOTED_PATH = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_*]*)+)'")
_LEADING_PATH = re.compile(r"^(?:Error: |ERROR: )?([a-z][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?: is|:)")
_REQUIRED_EXPR = re.compile(
    r'required\s+"((?:[^"\\]|\\.)*)"\s+\(?\s*\$?(?:root)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)'
)
# Words of a refusal that asks for a value (as opposed to one that forbids a combination).
_ASKS_FOR_VALUE = re.compile(r"\b(is required|must be set|required but|must specify|is not provided)\b", re.I)
_FORBIDS = re.compile(
    r"(DEPRECATED|no longer supported|cannot be combined|mutually exclusive|cannot both)", re.I
)


@dataclass(frozen=True)
class KubeObject:
    """One rendered Kubernetes object."""

    kind: str
    api_version: str
    name: str
    namespace: str | None
    template: str  # the chart template that rendered it
    body: dict[str, Any] = field(repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def labels(self) -> dict[str, Any]:
        labels = (self.body.get("metadata") or {}).get("labels")
        return labels if isinstance(labels, dict) else {}


@dataclass(frozen=True)
class Refusal:
    """The chart refused to render: its message, where, and the value keys it names."""

    message: str
    template: str | None = None
    line: int | None = None
    paths: tuple[Path, ...] = ()
    asks_for_value: bool = False  # the refusal wants a value set (not a combination removed)

    @property
    def dotted(self) -> list[str]:
        return [format_path(p) for p in self.paths]


@dataclass(frozen=True)
class Placeholder:
    path: Path
    value: str
    refusal: Refusal


@dataclass(frozen=True)
class BrokenDocument:
    """A rendered document that is not valid YAML or not a Kubernetes object."""

    template: str
    message: str


@dataclass
class Rendered:
    """The outcome of rendering one chart version with one values file."""

    chart_version: str
    release: str
    namespace: str
    objects: list[KubeObject] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    refusal: Refusal | None = None  # set when the chart refused even with placeholders
    broken: list[BrokenDocument] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # as Helm read them (+ placeholders)

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def status(self) -> str:
        """`ok`, `needs-input` (only with placeholders) or `fails`."""
        if self.refusal is not None:
            return "fails"
        return "needs-input" if self.placeholders else "ok"

    def find(self, kind: str, name: str) -> KubeObject | None:
        return next((o for o in self.objects if o.kind == kind and o.name == name), None)

    def of_kind(self, kind: str) -> list[KubeObject]:
        return [o for o in self.objects if o.kind == kind]


# ---------------------------------------------------------------------------
# charts, loaded once per process

_charts: dict[tuple, Any] = {}
_conditions: dict[str, tuple[str, ...]] = {}
_templates: dict[str, dict[str, list[str]]] = {}
_charts_lock = threading.Lock()


def _digest(package: ChartPackage) -> str:
    return f"{package.version}:{hashlib.sha256(package.data).hexdigest()}"


def load(package: ChartPackage) -> Any:
    """Helm's loaded chart for a package, for its metadata, default values and templates.

    Cached per process, and never rendered: Helm's render edits a loaded chart in place,
    dropping the subcharts a render's values switch off (helm-python-sdk 0.2.2 / Helm 4.2.3),
    so a chart once rendered with `prometheus.enabled: false` renders without Prometheus for
    good. Renders use `_chart_for(...)`, one loaded chart per combination of those switches.
    """
    return _loaded(_digest(package), package, ())


def _loaded(digest: str, package: ChartPackage, switches: tuple) -> Any:
    import helm_python

    key = (digest, switches)
    with _charts_lock:
        chart = _charts.get(key)
        if chart is None:
            try:
                chart = helm_python.Chart.load_archive(package.data)
            except helm_python.HelmError as exc:
                raise InputError(
                    f"{package.origin}: Helm cannot load this chart: {_first_line(exc)}"
                ) from None
            _charts[key] = chart
        return chart


_own_files: dict[str, tuple[dict[str, Any], list[dict[str, Any]]] | None] = {}


def _chart_files(package: ChartPackage) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The chart's default values and its dependencies, read as Helm reads them, from its own
    `values.yaml` and `Chart.yaml`, without loading the whole chart (a load costs as much as a
    render). None for a chart whose dependencies are declared elsewhere (`requirements.yaml` of
    an apiVersion v1 chart) or whose files cannot be read so: then Helm's load answers.
    tests/test_chart_files.py proves both equal to Helm's load of every shipped package."""
    digest = _digest(package)
    with _charts_lock:
        if digest in _own_files:
            return _own_files[digest]
    import io
    import tarfile

    import helm_python

    found: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(package.data), mode="r|gz") as archive:
            for member in archive:
                name = member.name.partition("/")[2]
                if member.isfile() and name in ("Chart.yaml", "values.yaml", "requirements.yaml"):
                    extracted = archive.extractfile(member)
                    found[name] = extracted.read().decode("utf-8") if extracted else ""
        meta = helm_python.values_from_yaml(found["Chart.yaml"]) if "Chart.yaml" in found else None
        values = helm_python.values_from_yaml(found["values.yaml"]) if "values.yaml" in found else {}
    except (tarfile.TarError, OSError, EOFError, UnicodeDecodeError, helm_python.HelmError):
        meta = None
    files = None
    if isinstance(meta, dict) and "requirements.yaml" not in found and str(meta.get("apiVersion")) == "v2":
        deps = meta.get("dependencies") or []
        if isinstance(deps, list) and all(isinstance(d, dict) for d in deps):
            files = (values if isinstance(values, dict) else {}, deps)
    with _charts_lock:
        _own_files[digest] = files
    return files


def default_values(package: ChartPackage) -> dict[str, Any]:
    """The chart's own default values as Helm reads them (shared: do not mutate)."""
    files = _chart_files(package)
    if files is not None:
        return files[0]
    values = load(package).values
    return values if isinstance(values, dict) else {}


def _chart_for(package: ChartPackage, values: dict[str, Any]) -> Any:
    """A loaded chart to render `values` with: one per value of the subcharts' conditions."""
    digest = _digest(package)
    with _charts_lock:
        conditions = _conditions.get(digest)
    if conditions is None:
        files = _chart_files(package)
        deps = files[1] if files is not None else load(package).metadata.get("dependencies") or []
        conditions = tuple(
            c.strip() for dep in deps for c in str(dep.get("condition") or "").split(",") if c.strip()
        ) + tuple(f"tags.{t}" for dep in deps for t in dep.get("tags") or [])
        with _charts_lock:
            _conditions[digest] = conditions
    if not conditions:
        return _loaded(digest, package, ("rendered",))
    switches = tuple(json.dumps(_get_dotted(values, c), sort_keys=True, default=str) for c in conditions)
    return _loaded(digest, package, ("rendered", *switches))


def _get_dotted(values: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def _template_lines(package: ChartPackage, template: str) -> list[str]:
    """The source lines of one template (`adaptive/templates/x.yaml`), for reading refusals."""
    key = _digest(package)
    with _charts_lock:
        sources = _templates.get(key)
    if sources is None:
        chart = load(package)
        name = chart.name
        sources = {f"{name}/{t['name']}": t["data"].splitlines() for t in chart.templates}
        with _charts_lock:
            _templates[key] = sources
    return sources.get(template, [])


# ---------------------------------------------------------------------------
# rendering


def read_values(text: str) -> dict[str, Any]:
    """The values as Helm reads a `-f` file (its own YAML reader); InputError if it cannot."""
    import helm_python

    try:
        values = helm_python.values_from_yaml(text)
    except helm_python.HelmError as exc:
        raise InputError(f"Helm cannot read these values: {_first_line(exc)}") from None
    return values if isinstance(values, dict) else {}


_RENDER_CACHE_SIZE = 32
_rendered: OrderedDict[str, Rendered] = OrderedDict()


def render(
    package: ChartPackage,
    values: str | dict[str, Any],
    *,
    release: str,
    namespace: str,
    placeholders: bool = True,
) -> Rendered:
    """Render `package` with `values` (YAML text, read as Helm reads it, or Helm-read data).

    With `placeholders`, refusals that ask for a value the user must supply are answered
    with a marked placeholder and the render is retried. The last few results are kept per
    process (a render is a pure function of its inputs; callers get their own copy of the
    lists), so an analysis that renders the same source again, for another target, pays once.
    """
    text = values if isinstance(values, str) else json.dumps(values, sort_keys=True, default=str)
    key = hashlib.sha256(
        "\0".join((_digest(package), release, namespace, str(placeholders), text)).encode(
            "utf-8", "surrogatepass"
        )
    ).hexdigest()
    with _charts_lock:
        cached = _rendered.get(key)
        if cached is not None:
            _rendered.move_to_end(key)
    if cached is None:
        cached = _render(package, values, release=release, namespace=namespace, placeholders=placeholders)
        with _charts_lock:
            _rendered[key] = cached
            while len(_rendered) > _RENDER_CACHE_SIZE:
                _rendered.popitem(last=False)
    return replace(
        cached,
        objects=list(cached.objects),
        placeholders=list(cached.placeholders),
        broken=list(cached.broken),
    )


def clear_render_cache() -> None:
    """Forget the kept renders (for measuring renders themselves)."""
    with _charts_lock:
        _rendered.clear()


def _render(
    package: ChartPackage, values: str | dict[str, Any], *, release: str, namespace: str, placeholders: bool
) -> Rendered:
    import helm_python

    data = read_values(values) if isinstance(values, str) else copy.deepcopy(values)
    chart = _chart_for(package, data)
    result = Rendered(package.version, release, namespace, values=data)
    for _ in range(MAX_PLACEHOLDER_ROUNDS):
        try:
            manifests = chart.render(data, name=release, namespace=namespace)
        except helm_python.HelmError as exc:
            refusal = read_refusal(package, str(exc))
            fillable = [p for p in refusal.paths if is_user_supplied(p)] if placeholders else []
            if (
                refusal.asks_for_value
                and fillable
                and not any(ph.path == p for ph in result.placeholders for p in fillable)
            ):
                for path in fillable:
                    value = PLACEHOLDER_PREFIX + format_path(path)
                    if not _set_in(data, path, value):
                        result.refusal = refusal
                        return result
                    result.placeholders.append(Placeholder(path, value, refusal))
                continue
            result.refusal = refusal
            return result
        result.objects, result.broken = parse_manifests(manifests)
        return result
    result.refusal = Refusal("the chart kept refusing after every placeholder was filled in")
    return result


def read_refusal(package: ChartPackage, error: str) -> Refusal:
    """Helm's error text, read back into the message, its place and the keys it names."""
    text = error.strip()
    template = line = None
    message = text
    expr_path: Path | None = None
    match = _EXECUTION_ERROR.match(text)
    if match:
        template, line, message = match.group(1), int(match.group(2)), match.group(4).strip()
        expr_path = _required_path(package, template, line, message)
    else:
        match = _TEMPLATE_ERROR.match(text)
        if match:
            template, line = match.group(1), int(match.group(2))
            # Nested includes repeat "file:line:col executing ..."; the innermost says what went wrong.
            message = _innermost(text)
    paths: list[Path] = []
    if expr_path:
        paths.append(expr_path)
    for found in _QUOTED_PATH.findall(message):
        _add_path(paths, found)
    lead = _LEADING_PATH.match(message)
    if lead:
        _add_path(paths, lead.group(1))
    for found in _AT_VALUES.findall(text):
        _add_path(paths, found.lstrip("."))
    asks = bool(_ASKS_FOR_VALUE.search(message)) and not _FORBIDS.search(message)
    if expr_path is not None and not _FORBIDS.search(message):
        asks = True
    return Refusal(_clean(message), template, line, tuple(paths), asks)


def _innermost(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    tail = [ln for ln in lines if not re.match(r"^[^\s:]+\.(?:yaml|yml|tpl|txt):\d+:\d+$", ln)]
    return " ".join(tail[-2:]) if tail else text


def _required_path(package: ChartPackage, template: str, line: int, message: str) -> Path | None:
    """For `required "msg" .Values.a.b`: the key `a.b`, read from the template's own source."""
    lines = _template_lines(package, template)
    candidates = lines[line - 1 : line] + lines  # the reported line first, then anywhere
    for source in candidates:
        for match in _REQUIRED_EXPR.finditer(source):
            if match.group(1).replace('\\"', '"') == message:
                return tuple(match.group(2).lstrip(".").split("."))
    return None


def _add_path(paths: list[Path], dotted: str) -> None:
    parts = tuple(p for p in dotted.split(".") if p)
    if "*" in dotted or len(parts) < 2 or parts in paths:
        return
    paths.append(parts)


def _clean(message: str) -> str:
    return re.sub(r"^(Error|ERROR):\s*", "", message).strip()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


_USER_SUPPLIED_LEAF = re.compile(r"(?i)(password|secret|token|key|credential|url|username|host|database)")


def is_user_supplied(path: Path) -> bool:
    """A value only the user can know: anything under `secrets`, and credentials elsewhere."""
    if not path:
        return False
    if path[0] == "secrets":
        return True
    leaf = str(path[-1])
    return bool(re.search(r"(?i)(password|secret|token|accountkey|credential)", leaf)) or leaf in (
        "storageAccountName",
    )


def _set_in(data: dict[str, Any], path: Path, value: Any) -> bool:
    """Set `value` at `path`, creating mappings on the way; False where a non-mapping is in the way."""
    current: Any = data
    for part in path[:-1]:
        nxt = current.get(part) if isinstance(current, dict) else None
        if nxt is None:
            nxt = {}
            current[part] = nxt
        if not isinstance(nxt, dict):
            return False
        current = nxt
    if not isinstance(current, dict):
        return False
    current[path[-1]] = value
    return True


# ---------------------------------------------------------------------------
# rendered documents

_DOC_SPLIT = re.compile(r"(?:^|\n)---[ \t]*(?:#[^\n]*)?(?=\n|$)")


def parse_manifests(manifests: dict[str, str]) -> tuple[list[KubeObject], list[BrokenDocument]]:
    """Every document Helm would install, parsed by the reader Helm and the API server use.

    That is sigs.k8s.io/yaml (YAML 1.1 scalars: `on` is a boolean), reached through Helm's own
    values reader, so a rendered `value: on` is the boolean Kubernetes would refuse.
    """
    import helm_python

    objects: list[KubeObject] = []
    broken: list[BrokenDocument] = []
    for template in sorted(manifests):
        base = template.rsplit("/", 1)[-1]
        if (
            base.startswith("_")
            or base == "NOTES.txt"
            or not base.endswith((".yaml", ".yml", ".tpl", ".json"))
        ):
            continue
        for document in _DOC_SPLIT.split(manifests[template]):
            if not document.strip() or all(
                not ln.strip() or ln.lstrip().startswith("#") for ln in LINE_BREAK.split(document)
            ):
                continue
            try:
                body = helm_python.values_from_yaml(document)
            except helm_python.HelmError as exc:
                broken.append(BrokenDocument(template, f"not valid YAML: {_first_line(exc)}"))
                continue
            if body is None:
                continue
            if not isinstance(body, dict):
                broken.append(BrokenDocument(template, "a document that is not a mapping"))
                continue
            kind, api, meta = body.get("kind"), body.get("apiVersion"), body.get("metadata")
            if not isinstance(kind, str) or not isinstance(api, str) or not isinstance(meta, dict):
                broken.append(BrokenDocument(template, "a document without kind, apiVersion and metadata"))
                continue
            name = meta.get("name")
            namespace = meta.get("namespace")
            objects.append(
                KubeObject(
                    kind,
                    api,
                    name if isinstance(name, str) else str(name),
                    namespace if isinstance(namespace, str) else None,
                    template,
                    body,
                )
            )
    return objects, broken
