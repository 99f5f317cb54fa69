"""The one pipeline every face calls: read, detect, migrate, verify, preview, report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial

from migrator.changes.change import BreakingChange
from migrator.changes.context import ChangeContext
from migrator.changes.registry import all_changes, get_change, known_options
from migrator.chart import facts, packages
from migrator.chart.packages import ChartPackage
from migrator.chart.preview import preview_pools
from migrator.chart.proof import conclude, prove
from migrator.chart.value_types import validate_values
from migrator.detect import detect
from migrator.errors import InputError
from migrator.keys import fit, key_findings, narrow, not_adaptive_finding
from migrator.report.model import (
    KEYS_OUTSIDE_THE_FILE,
    SEVERITY_ORDER,
    ChangeOutcome,
    Detection,
    Finding,
    Report,
)
from migrator.report.secrets import mask_line, mask_yaml_text
from migrator.report.views import ReportViews
from migrator.source import Source, read_source
from migrator.versions import Version
from migrator.yaml.document import Document
from migrator.yaml.editor import EditError, Editor, NeedsFlush
from migrator.yaml.parse import split_lines


def load_document(data: bytes | str) -> tuple[Document, Source]:
    """Read and parse; raise InputError naming the line, column, key and snippet."""
    source = read_source(data)
    try:
        doc = Document(source.text)
    except InputError as exc:
        raise _with_snippet(exc, split_lines(source.text)) from None
    if doc.data is None:  # comments only: a values file that sets nothing
        doc.data = {}
    if not isinstance(doc.data, dict):
        kind = {list: "a list", str: "a single string"}.get(type(doc.data), f"a {type(doc.data).__name__}")
        first = doc.root.start[0] if doc.root is not None else 0
        error = InputError(
            f"the top level is {kind}; a values file is a mapping of keys (`key: value`)",
            line=first + 1,
            column=1,
        )
        raise _with_snippet(error, doc.lines)
    return doc, source


def _with_snippet(exc: InputError, lines: list[str]) -> InputError:
    """The offending line, masked (it may hold a password) and cut around the column.

    The line is masked with the context of the lines above it: alone, a continuation line of
    a password or a line under `secrets:` does not say it is one.
    """
    if exc.line is not None and 0 < exc.line <= len(lines):
        exc.snippet = mask_line(lines, exc.line - 1)
    elif exc.snippet is not None:
        exc.snippet = mask_yaml_text(exc.snippet)
    if exc.snippet is not None and len(exc.snippet) > 160:
        start = max(0, (exc.column or 1) - 80)
        exc.snippet = ("…" if start else "") + exc.snippet[start : start + 160] + "…"
    return exc


def resolve_target(target: str | None, chart: ChartPackage | None = None) -> Version:
    """The target chart version: a packaged one (`0.48.2`, `0.48` for its newest patch), or the
    version of the chart package the caller hands in."""
    if chart is not None:
        if target not in (None, "", "latest") and Version(target) != chart.parsed_version:
            raise InputError(f"--to {target} does not match the chart handed in, which is {chart.version}")
        return chart.parsed_version
    return Version(packages.resolve_version(target))


def analyze(
    data: bytes | str,
    *,
    name: str = "<input>",
    target: str | None = None,
    from_version: str | None = None,
    chart: ChartPackage | None = None,
    release: str = "adaptive",
    namespace: str = "default",
    options: Iterable[str] = (),
    prove_with_helm: bool = True,
) -> Report:
    """Analyse and migrate one values file. Raises InputError when it cannot be read.

    `target` is the chart version to upgrade to (default: the newest packaged one), `chart`
    a package of the target chart the caller hands in instead; `from_version` the version the
    release runs now (default: the newest version in the detected range), for the ledger.
    `options` names opt-in rewrites (see `BreakingChange.options`); without them a change
    only reports what it offers. `prove_with_helm=False` skips the renders (the migration,
    the preview by the chart's rules and the findings of the changes stay).
    """
    try:
        target_version = resolve_target(target, chart)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if from_version not in (None, "", "latest"):
        from_version = packages.resolve_version(from_version)
        if Version(from_version) > target_version:
            raise InputError(
                f"--from {from_version} is newer than the target {target_version}; this is no upgrade"
            )
    chosen = frozenset(options)
    unknown = sorted(chosen - set(known_options()))
    if unknown:
        raise InputError(
            f"unknown option(s): {', '.join(unknown)}; known: {', '.join(known_options()) or 'none'}"
        )
    doc, source = load_document(data)
    chart_fit = fit(doc.data)
    detection = detect(doc.data, doc.line_of)
    chart_fit = narrow(detection, chart_fit, doc.data)
    # Pending means: still to do on the way to the chosen target.
    detection.pending = [c for c in detection.pending if get_change(c).needed_from <= target_version]
    report = Report(
        source=name,
        detected=detection,
        target=str(target_version),
        status="up-to-date",
        notes=list(source.notes),
        release=release,
        namespace=namespace,
        original_yaml=source.original,
        fit=chart_fit,
        chart_origin=chart.origin if chart is not None else None,
    )
    if not chart_fit.adaptive:
        # Another chart's values: nothing is changed, rendered or written.
        report.status = "not-adaptive"
        # No chart version is dated by another chart's keys.
        report.detected = Detection(
            label="not applicable: not the adaptive chart's values", pending=[], evidence=[]
        )
        report.migrated_yaml = source.original
        report.findings.append(not_adaptive_finding(chart_fit))
        report.views = ReportViews(
            source.original, source.original, original_doc=doc, migrated_doc=doc, source=source
        )
        return report

    make_ctx = partial(
        ChangeContext,
        target=target_version,
        detection=detection,
        release=release,
        namespace=namespace,
        options=chosen,
    )
    plan = [c for c in all_changes() if c.needed_from <= target_version]
    try:
        current, runs = _chain(doc, plan, make_ctx, strict=False)
    except _VerificationFailed:
        # Re-run checking the text after every change, to refuse exactly the change at fault.
        current, runs = _chain(doc, plan, make_ctx, strict=True)

    blocked = False
    for change, ctx, status in runs:
        blocked = blocked or status == "blocked"
        report.changes.append(
            ChangeOutcome(
                id=change.id,
                version=change.version,
                title=change.title,
                status=status,
                manual_steps=ctx.record.manual_steps,
                explanation=change.explanation,
                summary=ctx.record.summary,
                blocked_reason=ctx.record.blocked_reason,
            )
        )
        # A change's findings point into the file as the user gave it, but a key the change
        # creates (a value to fill in) is found where it is: in the migrated file.
        migrated = None if status == "blocked" else current
        report.findings += [_change_line(f, doc, migrated) for f in ctx.record.findings]
        if status == "applied":
            report.moved += ctx.record.moved
            report.dropped += ctx.record.dropped

    if blocked:
        report.status = "blocked"
        report.migrated_yaml = None
    else:
        report.migrated_yaml = source.wrap(current.text)
        # Migrated means the file changed; a change that is only steps by hand leaves it up to date
        # (its steps are in the report's next steps).
        report.status = "migrated" if current.text != doc.text else "up-to-date"

    _preview_and_validate(report, current, target_version)
    if prove_with_helm:
        target_package = chart or packages.shipped(str(target_version))
        prove(report, doc, current, target_package, from_version, blocked=blocked)
    if not blocked:
        # A key a change already reported on (e.g. the legacy `harmony.computePool`) needs no second word.
        reported = {f.key for f in report.findings}
        report.findings += [
            _with_line(f, current)
            for f in key_findings(current.data, report.target, report.ledger)
            if f.key not in reported
        ]
    report.findings = [
        replace(f, line_in="migrated") if f.line is not None and f.line_in is None else f
        for f in report.findings
    ]
    conclude(report, doc, None if blocked else current)
    report.findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    # What the faces show (masked texts, the structural diff) is made from these documents, once,
    # when first asked for: no face parses the texts again.
    report.views = ReportViews(
        report.original_yaml,
        report.migrated_yaml,
        original_doc=doc,
        migrated_doc=None if report.migrated_yaml is None else current,
        source=source,
    )
    return report


class _VerificationFailed(Exception):
    """Deferred verification refused the chain's text; the strict re-run finds the change at fault."""


def _chain(
    doc: Document, plan: list[BreakingChange], make_ctx: Callable[..., ChangeContext], *, strict: bool
) -> tuple[Document, list[tuple[BreakingChange, ChangeContext, str]]]:
    """Apply the changes in order on one shared editor.

    The text is re-parsed only when a change needs positions an earlier change
    rewrote (NeedsFlush), and once at the end; `strict` re-parses and verifies
    after every change instead.
    """
    editor = Editor(doc)
    runs = []
    for change in plan:
        for attempt in (1, 2):
            mark = editor.begin()
            ctx = make_ctx(editor, change.id)
            try:
                change.apply(ctx)
            except NeedsFlush:
                editor.rollback(mark)
                if attempt == 2:  # pragma: no cover - a fresh editor has no stale positions
                    raise
                editor = Editor(_flush(editor))
                continue
            except EditError as exc:
                editor.rollback(mark)
                ctx.block(f"The file could not be edited safely here: {exc}.", code="edit-refused")
            break
        if ctx.record.blocked_reason is not None:
            editor.rollback(mark)  # a blocked change leaves the text as it found it
            runs.append((change, ctx, "blocked"))
            continue
        edited = editor.changed_since(mark)
        if strict and edited:
            try:
                editor = Editor(editor.finish())
            except EditError as exc:
                editor.rollback(mark)
                ctx.block(f"The file could not be edited safely here: {exc}.", code="edit-refused")
                runs.append((change, ctx, "blocked"))
                continue
        # A change that applies to this upgrade with nothing to edit (only steps by hand) is "manual".
        runs.append((change, ctx, "applied" if edited else "manual" if ctx.record.by_hand else "not-needed"))
    return _flush(editor, positions=False), runs


def _flush(editor: Editor, *, positions: bool = True) -> Document:
    try:
        return editor.finish(positions=positions)
    except EditError as exc:
        raise _VerificationFailed(str(exc)) from None


def _preview_and_validate(report: Report, doc: Document, target: Version) -> None:
    for finding in validate_values(doc.data):
        report.findings.append(_with_line(finding, doc))
    if report.status == "blocked" or not facts.COMPUTE_POOLS_GUIDE.holds(target):
        return
    pools, findings = preview_pools(
        doc.data, release=report.release, namespace=report.namespace, chart_version=str(target)
    )
    report.pools = pools
    report.findings += [_with_line(f, doc) for f in findings]


def _change_line(finding: Finding, original: Document, migrated: Document | None) -> Finding:
    """The line of a change's finding: in the input where its key is, else where the change put it."""
    key = finding.key
    if not key or key in KEYS_OUTSIDE_THE_FILE:
        return replace(finding, line_in="input") if finding.line is not None else finding
    if not original.has(key) and migrated is not None and migrated.has(key):
        return replace(finding, line=migrated.line_of(key), line_in="migrated")
    return replace(finding, line=original.line_of(key), line_in="input")


def _with_line(finding: Finding, doc: Document) -> Finding:
    """Give a finding without a line the line of its key in `doc` (the input, or the migrated file)."""
    key = finding.key
    if finding.line is not None or not key or key in KEYS_OUTSIDE_THE_FILE:
        return finding
    return replace(finding, line=doc.line_of(key))


def migrate_text(data: bytes | str, *, target: str | None = None) -> str | None:
    """String in, string out (like black's `format_str`): the migrated text, or None when blocked."""
    return analyze(data, target=target).migrated_yaml


__all__ = ["analyze", "load_document", "migrate_text", "resolve_target"]
