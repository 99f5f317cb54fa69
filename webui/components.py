"""Rendering pieces shared by the pages. Rendering only: every decision about a
values file is the engine's (`migrator`); this module shows what it reports.

Safety rules followed throughout:
- Text that came from the user (values, keys, comments, file names) and text
  that quotes it (finding messages) is never given to Streamlit as HTML. It
  goes through `md()` (every Markdown metacharacter backslash-escaped, so no
  link, image, colour directive or LaTeX can be smuggled in), into
  `st.code`/`st.text`/dataframes (plain text), or through
  `migrator.sidebyside`, which HTML-escapes every character.
- Secrets are masked on screen unless the session's "Show secrets" toggle is
  on.

Caching and sessions: an analysis holds the user's file, secrets included.
`st.cache_data` is shared by every session of the process, so analyses are
NOT kept there: each session keeps its own small LRU of results in
`st.session_state`, keyed by the SHA-256 of the input bytes and the options
(`analyze_cached`). Two people never share a result object, a re-run with the
same input (typing in an option, toggling secrets, switching pages and back)
costs nothing, and the memory per session is bounded. The only process-wide
caches hold no user data: the catalogue of breaking changes, and a one-time
warm-up on one of our example files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

import migrator
from migrator import InputError, Report, versions
from migrator.errors import located
from migrator.secrets import MASK, is_secret_path, mask_data, mask_yaml_text
from migrator.sidebyside import TooLarge, align_rows, render_html, stats, structural_changes
from migrator.yamldoc import parse
from webui import files

log = logging.getLogger(__name__)

SESSION_CACHE_KEY = "_analyses"
SESSION_CACHE_ENTRIES = 8  # up to 8 inputs of at most 5 MB each per session
T = TypeVar("T")

SEVERITY_ICON = {
    "critical": ":red[:material/dangerous:]",
    "warning": ":orange[:material/warning:]",
    "info": ":blue[:material/info:]",
}
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
STATUS_TEXT = {"applied": "applied", "not-needed": "not needed", "blocked": "blocked"}
SOURCE_TEXT = {
    "pool": "overridden in this pool",
    "harmony": "inherited from harmony",
    "chart default": "chart default",
}


# ---------------------------------------------------------------------------
# text helpers

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=\"'^%@])")


def md(text: Any) -> str:
    """Text for st.markdown, shown literally: every Markdown metacharacter escaped.

    Escapes (by backslash, which CommonMark allows before any ASCII punctuation)
    emphasis, links, images, HTML, Streamlit's `:color[...]` and
    `:material/...:` directives and `$...$` LaTeX. Newlines become spaces so a
    value cannot start a heading or a list.
    """
    s = str(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_rich(text: Any) -> str:
    """Engine prose for st.markdown: like `md`, but `code spans` stay code spans.

    Only used for text the engine wrote (explanations, manual steps); values
    quoted inside them are inside backticks, where Markdown is literal anyway.
    """
    s = str(text)
    parts = s.split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: no code spans at all
        return md(s)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append("`" + part.replace("\n", " ") + "`" if part else "``")
        else:
            out.append(md(part))
    return "".join(out)


def code_text(text: Any) -> str:
    """Text for inside a `code span`: no backtick or newline can end it early."""
    return str(text).replace("`", "'").replace("\n", " ").replace("\r", " ")


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def table(rows: list[dict[str, Any]]) -> None:
    """A static table. st.table renders cells as Markdown, so every cell is escaped with `md`."""
    st.table(
        [{k: "" if v is None else md(v) for k, v in row.items()} for row in rows],
        hide_index=True,
    )


# ---------------------------------------------------------------------------
# analysis, per session


@dataclass(frozen=True)
class Failure:
    """An input the engine could not read (InputError) or an internal failure."""

    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None
    snippet: str | None = None
    internal: bool = False

    @classmethod
    def from_input_error(cls, err: InputError) -> Failure:
        return cls(err.message, err.line, err.column, err.key, err.snippet)

    def one_line(self) -> str:
        return located(self.message, self.line, self.column, self.key)


def input_key(data: bytes, **options: Any) -> str:
    h = hashlib.sha256(data)
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def report_key(report: Report, *extra: str) -> str:
    """A key for what is derived from one report: its texts and where it was analysed for."""
    h = hashlib.sha256()
    for part in (
        report.original_yaml,
        report.migrated_yaml or "",
        report.target,
        report.release,
        report.namespace,
        *extra,
    ):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def session_memo(store: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per key in this browser session (a small LRU in st.session_state).

    Reruns (toggles, typing, switching pages) reuse the value; nothing is shared between
    sessions, so results holding a user's secrets never reach another user.
    """
    cache: OrderedDict[str, Any] = st.session_state.setdefault(store, OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = compute()
    cache[key] = value
    while len(cache) > SESSION_CACHE_ENTRIES:
        cache.popitem(last=False)
    return value


class _InternalFailure(Exception):
    """The engine failed on an input: shown, but not remembered (a rerun tries again)."""


def analyze_cached(
    data: bytes,
    *,
    name: str,
    target: str | None,
    release: str,
    namespace: str,
    options: tuple[str, ...] = (),
) -> Report | Failure:
    """The engine's analysis of `data`, cached in this session only (see the module doc)."""
    if len(data) > files.MAX_UPLOAD_BYTES:
        return Failure(files.too_big_message(len(data)))
    key = input_key(
        data, name=name, target=target, release=release, namespace=namespace, options=list(options)
    )

    def compute() -> Report | Failure:
        try:
            return migrator.analyze(
                data,
                name=name,
                target=target,
                release=release or "adaptive",
                namespace=namespace or "default",
                options=options,
            )
        except InputError as err:
            return Failure.from_input_error(err)
        except Exception as exc:  # never a traceback on screen; the log has it
            log.exception("analysis failed for an input of %d bytes", len(data))
            raise _InternalFailure from exc

    try:
        return session_memo(SESSION_CACHE_KEY, key, compute)
    except _InternalFailure:
        return Failure(
            "The assistant failed on this input (an internal error, not a problem in your file). "
            "Please report it with the file, secrets removed.",
            internal=True,
        )


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per server process: load what the first analysis would otherwise pay for.

    Imports pandas (every table goes through it) and runs the engine once on one
    of our own example files, so that a user's first upload is as fast as the
    next ones. Holds no user data (it returns a bool).
    """
    import pandas  # noqa: F401

    example = Path(__file__).resolve().parent.parent / "examples" / "values-0.17-era.yaml"
    try:
        report = migrator.analyze(example.read_bytes(), name=example.name)
        align_rows(report.original_yaml, report.migrated_yaml or "")
        report.to_markdown()
    except Exception:  # a warm-up must never break the page
        log.exception("warm-up failed")
        return False
    return True


@st.cache_resource(show_spinner=False)
def catalogue_cached() -> list[Any]:
    """The registry of breaking changes (no user data: safe to share across sessions)."""
    return list(migrator.catalogue())


def catalogue_by_id() -> dict[str, Any]:
    return {c.id: c for c in catalogue_cached()}


def target_options() -> tuple[list[str], int]:
    targets = list(versions.known_targets())
    return targets, max(0, len(targets) - 1)


def mask_text(text: str, reveal: bool) -> str:
    return text if reveal else mask_yaml_text(text)


def mask_value(value: Any, reveal: bool) -> Any:
    return value if reveal else mask_data(value)


# ---------------------------------------------------------------------------
# controls shared by the pages


def options_controls(prefix: str) -> dict[str, Any]:
    """Release name, namespace and target version controls; returns analyze() options."""
    targets, default = target_options()
    c1, c2, c3 = st.columns(3)
    release = c1.text_input(
        "Release name", value="adaptive", key=f"{prefix}_release", help="The Helm release name (`helm list`)."
    )
    namespace = c2.text_input("Namespace", value="default", key=f"{prefix}_namespace")
    target = c3.selectbox(
        "Target chart version",
        targets,
        index=default,
        key=f"{prefix}_target",
        format_func=lambda v: f"{v} (newest)" if targets and v == targets[-1] else v,
    )
    offered = opt_in_rewrites()
    chosen = st.multiselect(
        "Opt-in rewrites (off unless you choose them)",
        list(offered),
        key=f"{prefix}_opts",
        format_func=lambda name: f"{name}: {offered[name]}",
        help="Rewrites a breaking change offers but never applies by itself; the report says when "
        "your file would use one.",
    )
    return {
        "release": release.strip() or "adaptive",
        "namespace": namespace.strip() or "default",
        "target": target,
        "options": tuple(sorted(chosen)),
    }


def opt_in_rewrites() -> dict[str, str]:
    """Each opt-in rewrite the registry offers, with the title of the change that offers it."""
    return {name: f"{c.version} {c.title}" for c in catalogue_cached() for name in c.options}


def secrets_toggle(key: str = "reveal_secrets") -> bool:
    return st.toggle(
        "Show secrets",
        key=key,
        value=False,
        help="Passwords, tokens, keys and everything under `secrets:` are masked on screen. "
        "Turn this on to see them in this browser session only. Downloads of the report and the "
        "redacted copy stay masked.",
    )


# ---------------------------------------------------------------------------
# rendering an analysis


def render_failure(failure: Failure, name: str | None = None) -> None:
    """One clear message: where, what, and the offending line. Never a traceback."""
    title = "Cannot read this file" if not failure.internal else "Something went wrong"
    where = f" {md(name)}" if name else ""
    st.error(f"**{title}{where}**: {md(failure.one_line())}", icon=":material/block:")
    if failure.snippet is not None:
        caption = "Offending line"
        if failure.line is not None:
            caption += f" {failure.line}"
        st.caption(caption)
        pointer = ""
        if failure.column is not None and failure.column >= 1 and len(failure.snippet) < 400:
            pointer = "\n" + " " * (failure.column - 1) + "^"
        st.code(failure.snippet + pointer, language=None)


def render_verdict(report: Report) -> None:
    crit, warn = report.count("critical"), report.count("warning")
    st.subheader("Verdict")
    counts = f"{crit} critical, {warn} warning{'s' if warn != 1 else ''}"
    if report.status == "blocked":
        st.error(
            f"**Needs your decision** — the assistant will not guess. {counts}.", icon=":material/front_hand:"
        )
    elif report.status == "up-to-date":
        st.success(
            f"**Up to date** for chart {md(report.target)}: no breaking change applies. {counts}.",
            icon=":material/check_circle:",
        )
    else:
        st.info(
            f"**Migration ready** for chart {md(report.target)}: "
            f"{sum(1 for c in report.changes if c.status == 'applied')} change(s) applied. {counts}.",
            icon=":material/build:",
        )
    st.markdown(
        f"Detected chart range: **{md(report.detected.label)}**"
        + (" — the file mixes old and new layouts (conflict)" if report.detected.conflict else "")
    )
    if report.detected.evidence:
        rows = [{"Key": e.path, "Says": e.says, "Line": e.line} for e in report.detected.evidence]
        table(rows)
    else:
        st.caption("No key in the file tells the chart version apart (an empty or minimal file).")
    for note in report.notes:
        st.caption(md_rich(note))


def _change_severity(change: Any, catalogue: dict[str, Any], findings: list[Any]) -> str:
    sev = getattr(catalogue.get(change.id), "severity", "info") or "info"
    for f in findings:
        if SEVERITY_RANK.get(f.severity, 2) < SEVERITY_RANK.get(sev, 2):
            sev = f.severity
    return sev


def render_findings_list(findings: list[Any], title: str = "") -> None:
    """Findings as one Markdown list (one element, however many findings)."""
    lines = [title, ""] if title else []
    for f in sorted(findings, key=lambda f: SEVERITY_RANK.get(f.severity, 3)):
        where = f" (line {f.line})" if f.line else ""
        lines.append(
            f"- {SEVERITY_ICON.get(f.severity, '')} **{md(f.severity)}** `{code_text(f.code)}` at "
            f"`{code_text(f.path)}`{md(where)}: {md_rich(f.message)}"
        )
    st.markdown("\n".join(lines))


def render_change_cards(report: Report) -> None:
    catalogue = catalogue_by_id()
    applying = [c for c in report.changes if c.status != "not-needed"]
    st.subheader("Breaking changes that apply")
    if not applying:
        st.caption("None: every breaking change up to the target is already reflected in this file.")
    for change in applying:
        findings = [f for f in report.findings if f.change_id == change.id]
        sev = _change_severity(change, catalogue, findings)
        with st.container(border=True):
            st.markdown(
                f"#### {SEVERITY_ICON.get(sev, '')} {md(change.version)} · {md_rich(change.title)}\n"
                f"Severity: **{sev}** · Status: **{STATUS_TEXT.get(change.status, change.status)}** · "
                f"Change `{code_text(change.id)}`"
            )
            why, what = st.columns([3, 2], gap="large")
            explanation = change.explanation or getattr(catalogue.get(change.id), "explanation", "")
            why.markdown("**What changed and why it matters**\n\n" + md_rich(explanation))
            if change.status == "blocked":
                did = f"Nothing: blocked. {md_rich(change.blocked_reason or '')}"
            else:
                did = md_rich(change.summary or getattr(catalogue.get(change.id), "automated", ""))
            steps = "\n".join(f"- {md_rich(step)}" for step in change.manual_steps) or "Nothing."
            what.markdown(
                f"**What the assistant did**\n\n{did}\n\n**What you must still do by hand**\n\n{steps}"
            )
            if findings:
                render_findings_list(findings, title="**Findings**")
    not_needed = [c for c in report.changes if c.status == "not-needed"]
    if not_needed:
        st.caption(
            "Already in the new layout: "
            + ", ".join(f"{md(c.version)} {md_rich(c.title)}" for c in not_needed)
        )
    others = [f for f in report.findings if f.change_id not in {c.id for c in applying}]
    if others:
        render_findings_list(others, title="**Other findings**")


def diff_html(report: Report, name: str, reveal: bool) -> tuple[str, dict[str, int]]:
    """The side-by-side diff and its line counts, masked unless revealed (once per session)."""

    def compute() -> tuple[str, dict[str, int]]:
        original = mask_text(report.original_yaml, reveal)
        migrated = original if report.migrated_yaml is None else mask_text(report.migrated_yaml, reveal)
        rows = align_rows(original, migrated)
        html = render_html(
            rows,
            left_title=f"{name} (original)",
            right_title=f"{files.migrated_name(name)} (migrated)"
            if report.migrated_yaml is not None
            else "(blocked)",
        )
        return html, stats(rows)

    return session_memo("_diff_html", report_key(report, name, str(reveal)), compute)


def render_diff(report: Report, name: str, reveal: bool, key: str) -> None:
    st.subheader("Differences")
    if report.migrated_yaml is None:
        st.caption("Blocked: no migrated file, so no diff. Resolve the critical findings above first.")
        return
    html, counts = diff_html(report, name, reveal)
    if not report.changed:
        st.caption("The migrated file is identical to yours.")
    else:
        st.caption(
            f"{counts['changed']} changed, {counts['removed']} removed, {counts['added']} added lines; "
            "unchanged stretches are folded (click to expand). "
            + ("Secrets are shown." if reveal else "Secrets are masked.")
        )
    st.html(html)
    # The structural view is rendered only while open: two more tables on every
    # page cost about 0.2 s of the browser's time for the first full page.
    structure = st.expander(
        "Structure: the moved, added, dropped and changed paths", key=f"{key}_structure", on_change="rerun"
    )
    if structure.open:
        with structure:
            render_structure(report, reveal)


def structure_entries(report: Report, reveal: bool) -> list[dict[str, Any]] | str:
    """The structural changes (once per session), or why there are none to show."""

    def compute() -> list[dict[str, Any]] | str:
        try:
            old = parse(report.original_yaml).data
            new = parse(report.migrated_yaml or "").data
            return structural_changes(old, new, is_secret=None if reveal else is_secret_path, mask=MASK)
        except (InputError, TooLarge) as exc:
            return str(exc)

    return session_memo("_structure", report_key(report, str(reveal)), compute)


def render_structure(report: Report, reveal: bool) -> None:
    entries = structure_entries(report, reveal)
    if isinstance(entries, str):
        st.caption(f"No structural view: {md(entries)}")
        return
    if not entries:
        st.caption("No value moved, appeared or disappeared.")
    else:
        rows = [
            {
                "Change": e["kind"],
                "Path": e["path"],
                "From": e.get("from", ""),
                "Old value": _plain(e["old"]) if "old" in e else "",
                "New value": _plain(e["new"]) if "new" in e else "",
            }
            for e in entries
        ]
        st.caption("Compute pools are matched by name, not by position.")
        table(rows)
    if report.moved or report.dropped:
        st.markdown("**What the assistant moved and dropped, and why**")
        rows = [{"What": "moved", "Path": m.source, "To / why": m.target} for m in report.moved]
        rows += [{"What": "dropped", "Path": d.path, "To / why": d.reason} for d in report.dropped]
        table(rows)


# (label, PoolPreview attribute, key in `sources` (values-file key), how a derived value is made)
_POOL_FIELDS = [
    ("StatefulSet", "statefulset", None, "derived: release and pool name"),
    ("Headless Service", "headless_service", None, "derived: StatefulSet + -hdls"),
    ("GROUP", "group", None, "the pool's name as written"),
    ("PARTITION_KEY", "partition_key", None, "derived: the pool's name, normalised"),
    ("Capabilities", "capabilities", "capabilities", ""),
    ("MASTER_ADDR", "master_addr", None, "derived: first pod . headless Service"),
    ("Replicas", "replicas", "replicas", ""),
    ("GPUs per replica", "gpus_per_replica", "gpusPerReplica", ""),
    ("GPUs in total", "gpus_total", None, "derived: replicas × GPUs per replica"),
    ("Resources", "resources", "resources", ""),
    ("Node selector", "node_selector", "nodeSelector", ""),
    ("Tolerations", "tolerations", "tolerations", ""),
]


def _source(pool: Any, attr: str, chart_key: str | None, derived: str) -> str:
    sources = pool.sources or {}
    for k in (chart_key, attr):
        if k and k in sources:
            return SOURCE_TEXT.get(sources[k], sources[k])
    return derived


def pool_rows(pool: Any, reveal: bool) -> list[dict[str, str]]:
    rows = []
    for label, attr, chart_key, derived in _POOL_FIELDS:
        value = getattr(pool, attr, None)
        if attr in ("resources", "node_selector", "tolerations"):
            value = mask_value(value, reveal)
        rows.append(
            {
                "Field": label,
                "Value": _plain(value),
                "Where it comes from": _source(pool, attr, chart_key, derived),
            }
        )
    return rows


def render_pools(report: Report, reveal: bool) -> None:
    st.subheader("Pool preview")
    if not report.pools:
        st.caption("No compute pool will be deployed (harmony disabled, or no pools defined).")
        return
    st.caption(
        f"As the chart will render them for release {md(report.release)} in namespace {md(report.namespace)}."
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("Pools", len(report.pools))
    c2.metric("Pods", report.total_pods)
    c3.metric("GPUs", report.total_gpus)
    for idx, pool in enumerate(report.pools):
        with st.container(border=True):
            problems = list(pool.problems)
            flag = " " + SEVERITY_ICON["critical"] if problems else ""
            st.markdown(f"##### Pool {md(pool.name)}{flag}")
            table(pool_rows(pool, reveal))
            if problems:
                related = [
                    f
                    for f in report.findings
                    if f.code in problems
                    and (f"computePools[{idx}]" in f.path or pool.name in f.message or pool.name in f.path)
                ]
                if related:
                    render_findings_list(related)
                else:
                    st.markdown("Problems: " + ", ".join(f"`{p}`" for p in problems))
            with st.expander(f"{len(pool.pods)} pod(s) and their DNS names"):
                table([{"Pod": p, "DNS name": d} for p, d in zip(pool.pods, pool.dns_names, strict=False)])


def download_payloads(report: Report, name: str) -> list[tuple[str, str, bytes, str]]:
    """(label, file name, bytes, mime) for each download (once per session).

    Only the migrated values are unmasked.
    """
    return session_memo("_downloads", report_key(report, name), lambda: _download_payloads(report, name))


def _download_payloads(report: Report, name: str) -> list[tuple[str, str, bytes, str]]:
    out = []
    if report.migrated_yaml is not None:
        out.append(
            (
                "Migrated values",
                files.migrated_name(name),
                report.migrated_yaml.encode("utf-8"),
                "application/yaml",
            )
        )
        out.append(
            (
                "Redacted copy (for sharing)",
                files.redacted_name(name),
                (report.migrated_yaml_shown() or "").encode("utf-8"),
                "application/yaml",
            )
        )
    out.append(
        (
            "Report (Markdown)",
            files.report_name(name, "md"),
            report.to_markdown(reveal_secrets=False).encode(),
            "text/markdown",
        )
    )
    out.append(
        (
            "Report (JSON)",
            files.report_name(name, "json"),
            report.to_json(reveal_secrets=False).encode(),
            "application/json",
        )
    )
    return out


def batch_downloads(results: list[tuple[str, Report | Failure]], target: str) -> tuple[bytes, int, bytes]:
    """For a triage batch: a zip of every migrated file, how many, and one Markdown report."""
    key = hashlib.sha256(target.encode())
    for name, res in results:
        part = res.one_line() if isinstance(res, Failure) else report_key(res)
        key.update(f"{name}\0{part}\0".encode("utf-8", "surrogatepass"))

    def compute() -> tuple[bytes, int, bytes]:
        migrated = [
            (files.migrated_name(name.replace("/", "__")), res.migrated_yaml.encode("utf-8"))
            for name, res in results
            if isinstance(res, Report) and res.migrated_yaml is not None
        ]
        parts = ["# Triage report\n", f"{len(results)} file(s), target chart {target}.\n"]
        for name, res in results:
            if isinstance(res, Failure):
                parts.append(
                    f"\n---\n\n# Values upgrade report: `{code_text(name)}`\n\n"
                    f"Cannot read this file: {md(res.one_line())}\n"
                )
                if res.snippet:
                    parts.append(f"\n```\n{res.snippet.replace('```', '` ` `')}\n```\n")
            else:
                parts.append(f"\n---\n\n{res.to_markdown(reveal_secrets=False)}\n")
        return files.zip_bytes(migrated), len(migrated), "".join(parts).encode("utf-8")

    return session_memo("_batch", key.hexdigest(), compute)


def render_downloads(report: Report, name: str, key: str) -> None:
    st.subheader("Downloads")
    payloads = download_payloads(report, name)
    cols = st.columns(len(payloads))
    for col, (label, file_name, data, mime) in zip(cols, payloads, strict=True):
        col.download_button(
            label,
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"{key}_dl_{file_name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    if report.migrated_yaml is None:
        st.caption("Blocked: no migrated file until the critical findings are resolved.")
    else:
        st.caption(
            "The migrated values are complete (secrets included): keep them safe. "
            "The redacted copy and the reports mask every secret."
        )


def render_report(report: Report, *, name: str, reveal: bool, key: str) -> None:
    """The whole analysis of one file, verdict first."""
    render_verdict(report)
    render_downloads(report, name, key)
    render_change_cards(report)
    render_diff(report, name, reveal, key)
    render_pools(report, reveal)
    # The last element of an analysis: tests (and screen readers) know the page is complete.
    with st.container(key=f"{key}_done"):
        st.caption(f"End of the analysis of {md(name)}.")
