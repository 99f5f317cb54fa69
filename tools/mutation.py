"""Mutation run: does the test suite notice when the code is wrong?

Each mutant is one small, hand-made, reviewed change to `migrator/` or `webui/` (the file,
the exact original text, its replacement) and the tests that should catch it. The run
copies the work tree into a temporary folder under /tmp (the real files are never
touched: other people work in this repository), applies ONE mutant at a time to the copy,
runs its tests there (`pytest -x -q`, with a time limit), and puts the file back. A mutant
is killed when its tests fail (or time out); it survives when they pass.

    make mutation                                   # both lists, the score per folder
    .venv/bin/python tools/mutation.py --list fresh # one list
    .venv/bin/python tools/mutation.py --only harmony-pod-name-highest-ordinal
    .venv/bin/python tools/mutation.py --check      # every mutant applies (and compiles); runs nothing
    .venv/bin/python tools/mutation.py --rev HEAD~3 # the tree of a commit instead of the work tree

Two lists: LISTED reproduces the kinds of mistakes measured before (the behaviours the
suite used to miss, then the important logic: the editor, the changes, detection,
masking, the preview's names, the render proof's status, the ledger's consequences, the
CLI's exit codes, the web's escaping and session cache); FRESH is a second, independent
list. A mutant marked `equivalent` (with the reason) cannot be told apart by any test and
does not count. The goal: at least 90% of the other mutants killed in each folder.

Before the mutants, the tests they name run once on the unmutated copy: a test that fails
there would "kill" every mutant and prove nothing, so it is left out of every mutant's run
(`--deselect`) and listed (`--no-baseline` skips this). A full run takes about 15 minutes
on the 2-core machine; the tests of each mutant are the few that should catch it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_TIMEOUT = 240.0  # seconds, per mutant
FIX = "tests/test_fixtures.py::test_fixture"


def fixture(*cases: str) -> list[str]:
    """Node ids of fixture cases, `change-id/case` each."""
    return [f"{FIX}[{case}]" for case in cases]


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # relative to the repository
    original: str  # exact text, found exactly once in the file
    replacement: str
    tests: tuple[str, ...]  # pytest arguments: files or node ids
    why: str = ""  # what the mutant breaks, for the user
    equivalent: str = ""  # why no test can tell it apart (then it does not count)

    @property
    def folder(self) -> str:
        return self.file.split("/", 1)[0]


def M(
    mutant_id: str,
    file: str,
    original: str,
    replacement: str,
    tests: Iterable[str],
    why: str = "",
    equivalent: str = "",
) -> Mutant:
    return Mutant(mutant_id, file, original, replacement, tuple(tests), why, equivalent)


GUARDS = "tests/test_guards.py"
CAUGHT = "tests/test_mutants_caught.py"

# ---------------------------------------------------------------------------
# LISTED: the behaviours the suite used to miss, then the important logic.

LISTED: list[Mutant] = [
    # -- the survivors measured before ---------------------------------------------------
    M(
        "diff-fold-unescaped",
        "migrator/report/diff_html.py",
        'lines = "".join(f"<div>{_esc(r.left or \'\')}</div>" for r in rows)',
        'lines = "".join(f"<div>{r.left or \'\'}</div>" for r in rows)',
        [
            "tests/test_sidebyside.py::test_html_escapes_in_changed_added_removed_and_folded_rows",
            "tests/test_sidebyside.py::test_folded_lines_are_escaped_one_element_per_line",
            CAUGHT,
        ],
        "folded (unchanged) stretches of the diff are rendered without HTML escaping",
    ),
    M(
        "mask-url-credentials-off",
        "migrator/report/secrets/content.py",
        '    if "://" in text:\n        _url_spans(text, spans)',
        '    if "://" in text and False:\n        _url_spans(text, spans)',
        [CAUGHT, "tests/test_secrets.py"],
        "URL credentials under an ordinary key (REDIS_URL in extraEnvVars) stay unmasked",
    ),
    M(
        "mask-fallback-off",
        "migrator/report/secrets/text.py",
        '        return ("\\ufeff" if bom else "") + _mask_lines_fallback(body)',
        "        return text",
        [CAUGHT, "tests/test_secrets.py"],
        "text that does not parse is not masked at all (an error snippet shows the password)",
    ),
    M(
        "mask-drops-anchors",
        "migrator/report/secrets/text.py",
        "    if not node.anchor and not node.tag:\n        return line, col",
        "    if True:\n        return line, col",
        [CAUGHT, "tests/test_secrets.py"],
        "masking a scalar overwrites its anchor: the masked copy is no longer valid YAML",
    ),
    M(
        "editor-yaml11-plain",
        "migrator/yaml/render.py",
        "        and _text_to_every_reader(text)\n",
        "",
        [*fixture("db-config-split/yaml11-values-quoted"), "tests/test_editor_chain.py"],
        "a new value YAML 1.1 reads as a date or a number (2001-12-14, 1:20) is written plain",
    ),
    M(
        "s3-install-postgres-ignored",
        "migrator/changes/s3_creds_and_secret_defaults.py",
        'return control_plane or ctx.get(("installPostgres", "enabled")) is True',
        "return control_plane",
        fixture("s3-creds-and-secret-defaults/install-postgres"),
        "`installPostgres.enabled: true` no longer supplies the database: false alarms on secrets.db.*",
    ),
    M(
        "jwt-already-0-48-reported",
        "migrator/changes/internal_jwt_key.py",
        "        if ctx.crosses(VERSION) is False:\n            return\n",
        "",
        fixture("internal-jwt-key/existing-secret-already-0-48"),
        "a file already at 0.48 with an existing Secret still gets the 0.48 Secret-key alarm",
    ),
    M(
        "monitoring-lgtm-ignored",
        "migrator/changes/monitoring_merged.py",
        "    if ctx.has(LGTM):\n        return  # the file already configures the merged stack\n",
        "",
        fixture("monitoring-merged/lgtm-configured-mixed"),
        "`lgtm` already configured still gets the uninstall-monitoring warning",
    ),
    M(
        "automount-false-not-off",
        "migrator/changes/service_account_split.py",
        'off = account["automount"] is False',
        "off = False",
        fixture("service-account-split/automount-false-gke"),
        "`automount: false` loses its warning and its manual step",
    ),
    M(
        "harmony-pod-name-ordinal-0",
        "migrator/chart/preview.py",
        'last_pod = f"{sts}-{max(replicas - 1, 0)}"',
        'last_pod = f"{sts}-0"',
        fixture("harmony-compute-pools/preview-pod-name-highest-ordinal"),
        "the pod-name length is checked on `-0`, not the highest ordinal (11 replicas, 64 characters)",
    ),
    M(
        "collision-wrong-pool",
        "migrator/chart/preview.py",
        '("harmony", "computePools", indexes[position], "name"),',
        '("harmony", "computePools", position, "name"),',
        fixture("harmony-compute-pools/preview-collision-after-invalid-entry"),
        "a collision after an invalid entry points at the wrong pool",
    ),
    # -- the changes ----------------------------------------------------------------------
    M(
        "db-scheme-postgres-refused",
        "migrator/changes/db_config_split.py",
        'if scheme.lower() not in ("postgres", "postgresql"):',
        'if scheme.lower() not in ("postgresql",):',
        fixture("db-config-split/postgres-scheme"),
    ),
    M(
        "db-password-not-decoded",
        "migrator/changes/db_config_split.py",
        '"password": unquote(parts.password or ""),',
        '"password": parts.password or "",',
        fixture("db-config-split/percent-decoding"),
    ),
    M(
        "db-params-no-manual-step",
        "migrator/changes/db_config_split.py",
        '        ctx.manual(f"Make sure the database connection works without the URL parameters '
        '({names}).")\n',
        "",
        fixture("db-config-split/sslmode-params-dropped"),
        "the manual step for dropped URL parameters is lost",
    ),
    M(
        "db-quote-style-lost",
        "migrator/changes/db_config_split.py",
        'return style if style in (\'"\', "\'") else ""',
        'return ""',
        fixture("db-config-split/double-quoted-url", "db-config-split/single-quoted-url"),
    ),
    M(
        "db-missing-password-severity",
        "migrator/changes/db_config_split.py",
        '                f"db-{name}-missing",\n                "critical",\n                (*DB, name),\n'
        '                f"The URL has no',
        '                f"db-{name}-missing",\n                "warning",\n                (*DB, name),\n'
        '                f"The URL has no',
        fixture("db-config-split/password-missing"),
        "a missing database password is only a warning",
    ),
    M(
        "harmony-default-replicas-0",
        "migrator/changes/harmony_compute_pools.py",
        "count = replicas if not _empty(replicas) else 1",
        "count = replicas if not _empty(replicas) else 0",
        fixture("harmony-compute-pools/same-as-compute-pools-one-replica"),
        "old keys without replicaCount no longer match a computePools entry of one replica",
    ),
    M(
        "harmony-partition-path",
        "migrator/changes/harmony_compute_pools.py",
        "PARTITION if ctx.has(PARTITION) else HARMONY,",
        "PARTITION,",
        fixture("harmony-compute-pools/only-replica-count"),
        "the partition finding names `harmony.partitionKey`, a key the file does not have",
    ),
    M(
        "harmony-autoscaling-severity",
        "migrator/changes/harmony_compute_pools.py",
        '"warning" if enabled else "info",',
        '"info",',
        fixture("harmony-compute-pools/legacy-compute-pool"),
        "enabled autoscaling that stops is only information",
    ),
    M(
        "harmony-same-pool-ignores-replicas",
        "migrator/changes/harmony_compute_pools.py",
        'and existing[0].get("replicas", 1) == count',
        "",
        fixture("harmony-compute-pools/conflict-other-replicas"),
        "old keys with other replicas than computePools are dropped as if they repeated it",
    ),
    M(
        "sa-iam-not-critical",
        "migrator/changes/service_account_split.py",
        '        "iam-binding-update",\n        "critical",',
        '        "iam-binding-update",\n        "warning",',
        fixture("service-account-split/irsa-annotations"),
    ),
    M(
        "sa-name-honoured-too-early",
        "migrator/changes/service_account_split.py",
        'keep_account = isinstance(name, str) and bool(name) and _honours_names(ctx) and "name" in moved',
        'keep_account = isinstance(name, str) and bool(name) and "name" in moved',
        fixture("service-account-split/partly-split"),
    ),
    M(
        "sa-name-ignored-severity",
        "migrator/changes/service_account_split.py",
        '"warning" if creates else "critical",',
        '"warning",',
        fixture("service-account-split/partly-split"),
        "pods that cannot start (no account created) are only a warning",
    ),
    M(
        "capabilities-crossing-severity",
        "migrator/changes/capabilities_job.py",
        'ctx.finding("capabilities-default-changed", "warning" if crossing else "info", path, message)',
        'ctx.finding("capabilities-default-changed", "info", path, message)',
        fixture("capabilities-job/default-crossing"),
    ),
    M(
        "capabilities-job-twice",
        "migrator/changes/capabilities_job.py",
        "        if token not in out:\n            out.append(token)",
        "        out.append(token)",
        fixture("capabilities-job/opted-in"),
    ),
    M(
        "s3-empty-providers-critical",
        "migrator/changes/s3_creds_and_secret_defaults.py",
        '"secret-empty",\n                "warning" if providers else "critical",',
        '"secret-empty",\n                "critical",',
        fixture("s3-creds-and-secret-defaults/missing-values"),
    ),
    M(
        "s3-cookie-placeholder-exact",
        "migrator/changes/s3_creds_and_secret_defaults.py",
        'lambda v: isinstance(v, str) and v.startswith("change-me"),',
        'lambda v: v == "change-me",',
        fixture("s3-creds-and-secret-defaults/placeholders"),
    ),
    M(
        "jwt-key-not-added",
        "migrator/changes/internal_jwt_key.py",
        '        ctx.editor.add_key(AUTH, KEY, "", comments={(): COMMENT}, quote=\'"\')\n',
        "",
        fixture("internal-jwt-key/key-added"),
    ),
    # -- detection and the engine -----------------------------------------------------------
    M(
        "detect-high-takes-the-latest",
        "migrator/detect.py",
        "high = version if high is None or version < high else high",
        "high = version if high is None or version > high else high",
        [*fixture("db-config-split/with-harmony-too"), GUARDS],
        "a file with old keys of two changes is dated by the later one",
    ),
    M(
        "engine-findings-unsorted",
        "migrator/engine.py",
        "    report.findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])\n",
        "",
        fixture("harmony-compute-pools/migrated-replicas-zero", "service-account-split/automount-false-gke"),
        "findings are no longer sorted critical first",
    ),
    M(
        "engine-change-lines-of-the-edited-text",
        "migrator/engine.py",
        '    return replace(finding, line=original.line_of(key), line_in="input")',
        '    return replace(finding, line=(migrated or original).line_of(key), line_in="input")',
        [
            GUARDS,
            *fixture("db-config-split/with-harmony-too"),
        ],
        "a later change's findings get lines of the text an earlier change edited",
    ),
    M(
        "engine-snippet-unmasked",
        "migrator/engine.py",
        "        exc.snippet = mask_line(lines, exc.line - 1)\n",
        '        exc.snippet = lines[exc.line - 1].rstrip("\\r\\n")\n',
        ["tests/test_secrets.py::test_error_snippets_never_show_a_password", CAUGHT],
        "an error snippet shows the password on the line",
    ),
    M(
        "editor-comment-not-moved",
        "migrator/changes/harmony_compute_pools.py",
        'comments[(0, "name")] = ctx.doc.inline_comment(GROUP) if ctx.has(GROUP) else ""',
        'comments[(0, "name")] = ""',
        fixture("harmony-compute-pools/comments-travel"),
    ),
    # -- the render proof, the ledger, the names ---------------------------------------------
    M(
        "proof-invalid-not-blocking",
        "migrator/chart/proof.py",
        'if proof is not None and (proof.status == "fails" or proof.invalid):',
        'if proof is not None and proof.status == "fails":',
        fixture("harmony-compute-pools/preview-invalid-name"),
    ),
    M(
        "proof-placeholder-not-fill",
        "migrator/chart/proof.py",
        '        "secret-placeholder",\n        "value-required",',
        '        "value-required",',
        fixture("s3-creds-and-secret-defaults/placeholders"),
    ),
    M(
        "proof-info-ledger-reported",
        "migrator/chart/proof.py",
        '        if entry.severity == "info":\n            continue\n',
        "",
        fixture("db-config-split/bom"),
        "every harmless ledger entry (created, updated) becomes a finding",
    ),
    M(
        "ledger-renamed-sts-claims-warning",
        "migrator/chart/ledger.py",
        '        severity = "critical" if claims else "warning"\n        consequence = (\n'
        '            f"Helm deletes the StatefulSet `{old.name}` and creates `{new.name}`',
        '        severity = "warning"\n        consequence = (\n'
        '            f"Helm deletes the StatefulSet `{old.name}` and creates `{new.name}`',
        ["tests/test_ledger.py", GUARDS],
        "a renamed StatefulSet whose volumes stay behind is only a warning",
    ),
    M(
        "ledger-deleted-sa-iam-warning",
        "migrator/chart/ledger.py",
        '        iam = _iam(obj)\n        severity = "critical" if iam else "warning"\n'
        '        consequence = f"Helm deletes the ServiceAccount',
        '        iam = _iam(obj)\n        severity = "warning"\n'
        '        consequence = f"Helm deletes the ServiceAccount',
        ["tests/test_ledger.py", GUARDS],
    ),
    M(
        "names-pool-key-underscore",
        "migrator/chart/names.py",
        'return name.lower().replace(" ", "-").replace("_", "-")',
        'return name.lower().replace(" ", "-")',
        fixture("harmony-compute-pools/preview-name-collision"),
    ),
    M(
        "names-no-trim-dash",
        "migrator/chart/names.py",
        'return text[:limit].removesuffix("-")',
        "return text[:limit]",
        ["tests/test_chart.py"],
    ),
    M(
        "names-fullname-contains",
        "migrator/chart/names.py",
        'name = release if CHART_NAME in release else f"{release}-{CHART_NAME}"',
        'name = release if release.startswith(CHART_NAME) else f"{release}-{CHART_NAME}"',
        ["tests/test_chart.py"],
    ),
    # -- masking --------------------------------------------------------------------------
    M(
        "mask-migrated-copy-revealed",
        "migrator/report/views.py",
        "            self._masked_migrated = self._mask_migrated()",
        "            self._masked_migrated = self.migrated",
        ["tests/test_secrets.py::test_no_masked_output_shows_a_planted_secret"],
    ),
    M(
        "mask-secret-section-in-doubt",
        "migrator/report/secrets/names.py",
        'return ctx == SECRET_CTX and kind == PLAIN and "://" not in value and value.lower() not in _FLAGS',
        "return False",
        ["tests/test_secrets.py"],
    ),
    # -- the command line ------------------------------------------------------------------
    M(
        "cli-migrated-exit-0",
        "migrator/cli.py",
        '    "migrated": EXIT_PENDING,',
        '    "migrated": EXIT_OK,',
        ["tests/test_reader.py::test_exit_codes"],
    ),
    M(
        "cli-worst-exit-order",
        "migrator/cli.py",
        "for code in (EXIT_UNREADABLE, EXIT_BLOCKED, EXIT_NEEDS_INPUT, EXIT_PENDING):",
        "for code in (EXIT_UNREADABLE, EXIT_PENDING, EXIT_BLOCKED, EXIT_NEEDS_INPUT):",
        ["tests/test_reader.py"],
    ),
    M(
        "cli-migrate-needs-input-exit-0",
        "migrator/cli.py",
        'return EXIT_NEEDS_INPUT if result.status == "needs-input" else EXIT_OK',
        "return EXIT_OK",
        [CAUGHT, "tests/test_reader.py"],
    ),
    # -- the web app: escaping and the session cache ------------------------------------------
    M(
        "web-md-brackets",
        "webui/text.py",
        r"""_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=\"'^%@])")""",
        r"""_MD_SPECIAL = re.compile(r"([\\`*_{}()#+\-.!|<>:~$&=\"'^%@])")""",
        ["tests/test_app.py::test_markdown_escaping", CAUGHT],
        "a link `[x](javascript:...)` in a value is Markdown again",
    ),
    M(
        "web-md-newlines",
        "webui/text.py",
        '    s = str(text).replace("\\r", " ").replace("\\n", " ")\n    return _MD_SPECIAL',
        "    s = str(text)\n    return _MD_SPECIAL",
        ["tests/test_app.py::test_markdown_escaping", CAUGHT],
    ),
    M(
        "web-md-rich-unbalanced",
        "webui/text.py",
        "    if len(parts) % 2 == 0:  # unbalanced backticks: no code spans at all\n        return md(s)\n",
        "",
        [CAUGHT],
    ),
    M(
        "web-code-text-backtick",
        "webui/text.py",
        'return str(text).replace("`", "\'").replace("\\n", " ").replace("\\r", " ")',
        'return str(text).replace("\\n", " ").replace("\\r", " ")',
        [CAUGHT],
    ),
    M(
        "web-table-unescaped",
        "webui/text.py",
        '{k: "" if v is None else (md_rich(v) if k in prose else md(v)) for k, v in row.items()}',
        '{k: "" if v is None else str(v) for k, v in row.items()}',
        ["tests/test_app.py::test_html_in_values_and_file_name_is_text_not_markup", CAUGHT],
    ),
    M(
        "web-memo-keeps-busy-failures",
        "webui/analysis.py",
        "    if isinstance(value, Failure) and not value.lasting:\n        return value\n",
        "",
        [CAUGHT],
        "a busy server's or a crash's failure is remembered: the rerun shows it again",
    ),
    M(
        "web-memo-evicts-newest",
        "webui/analysis.py",
        "    while len(cache) > entries:\n        cache.popitem(last=False)",
        "    while len(cache) > entries:\n        cache.popitem(last=True)",
        ["tests/test_app.py::test_session_cache_is_bounded_in_entries", CAUGHT],
    ),
    M(
        "web-memo-no-lru-touch",
        "webui/analysis.py",
        "    if key in cache:\n        cache.move_to_end(key)\n        return cache[key][0]",
        "    if key in cache:\n        return cache[key][0]",
        [CAUGHT],
    ),
    M(
        "web-memo-bytes-drop-newest",
        "webui/analysis.py",
        "while total > SESSION_CACHE_BYTES and len(cache) > (1 if name == keep else 0):",
        "while total > SESSION_CACHE_BYTES and len(cache) > 0:",
        ["tests/test_app.py::test_memo_is_bounded_in_bytes", CAUGHT],
    ),
    M(
        "web-input-key-ignores-options",
        "webui/analysis.py",
        "    h.update(json.dumps(options, sort_keys=True, default=str).encode())\n",
        "",
        [CAUGHT],
        "two analyses of one file for other targets or releases share one cached report",
    ),
    M(
        "web-report-key-ignores-release",
        "webui/analysis.py",
        "        report.target,\n        report.release,\n",
        "        report.target,\n",
        [CAUGHT],
    ),
    M(
        "web-safe-stem-unsafe",
        "webui/files.py",
        'stem = _UNSAFE.sub("_", base).strip("._-")',
        'stem = base.strip("._-")',
        ["tests/test_app.py::test_migrated_names", CAUGHT],
    ),
    M(
        "web-banner-calm-beside-critical",
        "webui/verdict.py",
        "    if crit:\n        first = by_severity(list(report.findings))[0]",
        "    if False:\n        first = by_severity(list(report.findings))[0]",
        ["tests/test_app.py::test_banner_is_never_calm_beside_a_critical_finding"],
    ),
    M(
        "web-findings-message-raw",
        "webui/verdict.py",
        'f"{md(where)}: {md_rich(f.message)}"',
        'f"{md(where)}: {f.message}"',
        [CAUGHT],
        "a finding's message (which quotes the user's values) is Markdown again",
    ),
    M(
        "web-csv-formula-cell",
        "webui/triage.py",
        'if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\\t", "\\r"):',
        "if False:",
        ["tests/test_app.py::test_triage_exports_csv_and_a_combined_report_without_the_files"],
        "a file named `=cmd.yaml` is a formula in the exported spreadsheet",
    ),
    M(
        "web-zip-nested-opened",
        "webui/files.py",
        "        elif _is_archive(base):\n",
        "        elif False:\n",
        ["tests/test_app.py::test_expand_uploads_limits_and_skipped", CAUGHT],
    ),
]

# ---------------------------------------------------------------------------
# FRESH: a second list, written independently of the first.

FRESH: list[Mutant] = [
    M(
        "fresh-db-host-without-brackets-check",
        "migrator/changes/db_config_split.py",
        '    if hostinfo.startswith("[") and "]" not in hostinfo:\n'
        '        raise UrlError("its IPv6 host has no closing `]`")\n',
        "",
        fixture("db-config-split/unparseable-ipv6-host"),
        equivalent="urlsplit already refuses an unclosed `[` (Invalid IPv6 URL) before this check",
    ),
    M(
        "fresh-db-empty-url-with-secret",
        "migrator/changes/db_config_split.py",
        '    if url in (None, "") and existing_secret and not ctx.has(DB) and placeholders:',
        '    if url in (None, "") and existing_secret and not ctx.has(DB):',
        fixture("db-config-split/existing-secret-empty-url-0-42"),
        "from 0.42 (empty defaults) the empty `dbUrl` beside a Secret still becomes empty db fields",
    ),
    M(
        "fresh-harmony-group-first-anchor",
        "migrator/changes/harmony_compute_pools.py",
        "first = min(anchors, key=lambda p: ctx.line(p) or 0)",
        "first = anchors[0]",
        fixture("harmony-compute-pools/comments-travel"),
    ),
    M(
        "fresh-harmony-legacy-pool-names",
        "migrator/changes/harmony_compute_pools.py",
        "    if isinstance(legacy, list) and legacy:",
        "    if isinstance(legacy, list):",
        fixture("harmony-compute-pools/legacy-compute-pool-empty"),
    ),
    M(
        "fresh-sa-automount-no-drop",
        "migrator/changes/service_account_split.py",
        "        ctx.drop(\n"
        '            (*GLOBAL, "automount"), f"the per-component accounts from {VERSION} '
        'always mount their token"\n'
        "        )\n",
        "",
        fixture("service-account-split/automount-false-gke"),
    ),
    M(
        "fresh-sa-creator-last",
        "migrator/changes/service_account_split.py",
        "creator = next((s for s in COMPONENTS if s in targets), None) if keep_account and creates else None",
        "creator = next((s for s in reversed(COMPONENTS) if s in targets), None) "
        "if keep_account and creates else None",
        fixture("service-account-split/kept-from-0-37-2"),
    ),
    M(
        "fresh-capabilities-offered-when-opted",
        "migrator/changes/capabilities_job.py",
        "        if not ctx.opted(OPTION):",
        "        if ctx.opted(OPTION):",
        fixture("capabilities-job/offered", "capabilities-job/opted-in"),
    ),
    M(
        "fresh-s3-widened-components",
        "migrator/changes/s3_creds_and_secret_defaults.py",
        "    without = [c for c in COMPONENTS if c not in found]",
        "    without = []",
        fixture("s3-creds-and-secret-defaults/s3-moved"),
    ),
    M(
        "fresh-s3-conflict-with-existing-creds",
        "migrator/changes/s3_creds_and_secret_defaults.py",
        "            elif key in existing and existing[key] != value:\n"
        '                other = "secrets.s3Creds"\n',
        "",
        fixture("s3-creds-and-secret-defaults/s3-conflict-with-secret-creds"),
        "credentials that disagree with `secrets.s3Creds` are dropped from extraEnvVars without a word",
    ),
    M(
        "fresh-jwt-empty-not-reported",
        "migrator/changes/internal_jwt_key.py",
        '    if ctx.get(PATH) in (None, ""):',
        "    if ctx.get(PATH) is None:",
        fixture("internal-jwt-key/empty-key"),
    ),
    M(
        "fresh-crosses-low-bound",
        "migrator/changes/context.py",
        "        if low is not None and Version(low) >= wanted:\n            return False",
        "        if low is not None and Version(low) > wanted:\n            return False",
        fixture("internal-jwt-key/existing-secret-already-0-48"),
    ),
    M(
        "fresh-preview-replicas-default",
        "migrator/chart/preview.py",
        '        return 1\n    sources["replicas"] = pool_source',
        '        return 0\n    sources["replicas"] = pool_source',
        ["tests/test_preview.py"],
    ),
    M(
        "fresh-preview-requests-dropped-code",
        "migrator/chart/preview.py",
        'code = "requests-dropped" if "requests" in missing else "limits-dropped"',
        'code = "limits-dropped"',
        fixture("harmony-compute-pools/preview-requests-dropped"),
    ),
    M(
        "fresh-proof-needs-input-placeholders",
        "migrator/chart/proof.py",
        "    if any(f.code in WAITS_FOR_USER_CODES for f in report.findings)"
        " or (proof and proof.placeholders):",
        "    if any(f.code in WAITS_FOR_USER_CODES for f in report.findings):",
        [GUARDS],
        "a render that needed a placeholder no change reported is not needs-input",
    ),
    M(
        "fresh-proof-fill-step-line",
        "migrator/chart/proof.py",
        "        line = _line(migrated, key) if migrated is not None else None\n"
        '        steps.append(NextStep("fill", advice, path, line))',
        '        steps.append(NextStep("fill", advice, path, None))',
        [GUARDS],
    ),
    M(
        "fresh-editor-indentless-style",
        "migrator/yaml/render.py",
        "            lines += self.sequence(resolved, col + self.style.seq_offset, path)",
        "            lines += self.sequence(resolved, col + 2, path)",
        fixture("harmony-compute-pools/indentless-sequences"),
    ),
    M(
        "fresh-mask-env-value",
        "migrator/report/secrets/data.py",
        "            for key, sub in item.items():\n"
        '                sub_kind = key_kind(env) if key == "value" and env is not None else _kind_of(key)',
        "            for key, sub in item.items():\n                sub_kind = _kind_of(key)",
        ["tests/test_secrets.py::test_env_entries_and_arguments"],
    ),
    M(
        "fresh-cli-not-adaptive-exit",
        "migrator/cli.py",
        '    "not-adaptive": EXIT_UNREADABLE,',
        '    "not-adaptive": EXIT_OK,',
        ["tests/test_reader.py", CAUGHT],
    ),
    # (the second batch of this list, written after the first round of new tests, before running it)
    M(
        "fresh-editor-verify-loose-types",
        "migrator/yaml/editor.py",
        "    return type(a) is type(b) and a == b",
        "    return a == b",
        [GUARDS, "tests/test_editor_chain.py"],
        "the editor's final check takes `true` for 1 and 1.0 for 1: a wrong type could pass",
    ),
    M(
        "fresh-mask-existing-secret-name",
        "migrator/report/secrets/names.py",
        'if words[0] == "existing" or last in _REF_LAST or "pull" in words:',
        'if last in _REF_LAST or "pull" in words:',
        ["tests/test_secrets.py"],
        "the name of an existing Secret (`existingControlPlaneSecret`) is masked as if it were one",
    ),
    M(
        "fresh-report-secrets-masked-flag",
        "migrator/report/model.py",
        '"secrets_masked": not reveal_secrets,',
        '"secrets_masked": reveal_secrets,',
        [CAUGHT, "tests/test_reader.py"],
    ),
    M(
        "fresh-keys-removed-as-unknown",
        "migrator/keys.py",
        "        if key.last_version is not None:",
        "        if False:",
        ["tests/test_keys.py", "tests/test_later_changes.py"],
        "a key the target no longer reads is called unknown (no last version, no word on what goes)",
    ),
    M(
        "fresh-preview-gpu-count-default",
        "migrator/chart/preview.py",
        'gpu_count_env = "1" if is_empty(gpus_value) else go_print(gpus_value)',
        'gpu_count_env = "0" if is_empty(gpus_value) else go_print(gpus_value)',
        ["tests/test_preview.py"],
    ),
    M(
        "fresh-db-params-not-listed",
        "migrator/changes/db_config_split.py",
        "    lost = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]",
        "    lost = []",
        fixture("db-config-split/sslmode-params-dropped"),
    ),
    M(
        "fresh-web-triage-unchanged-zipped",
        "webui/triage.py",
        "return isinstance(r, Report) and r.status in CHANGED_STATUSES and r.changed",
        "return isinstance(r, Report) and r.status in CHANGED_STATUSES",
        [CAUGHT, "tests/test_app.py::test_triage_zip_of_changed_files_is_redacted_by_default"],
        "files the migration did not change are handed back in the changed-files zip",
    ),
    M(
        "fresh-web-upload-names-collide",
        "webui/files.py",
        'out.append(f if n == 0 else InputFile(f"{f.name} ({n + 1})", f.data, f.error))',
        "out.append(f)",
        ["tests/test_app.py::test_expand_uploads_limits_and_skipped", CAUGHT],
        "two uploads of the same name get one name (and one row) in the triage",
    ),
    M(
        "fresh-web-triage-most-severe",
        "webui/triage.py",
        "    f = by_severity(list(result.findings))[0]",
        "    f = list(result.findings)[-1]",
        [CAUGHT],
    ),
    M(
        "fresh-web-step-line-of-migrated-file",
        "webui/verdict.py",
        'where = f" — line {step.line} of the migrated file" '
        'if step.line else " — add it to the migrated file"',
        'where = " — add it to the migrated file"',
        [CAUGHT],
    ),
    M(
        "fresh-web-group-pool-bound",
        "webui/verdict.py",
        "        elif index is not None and index < len(report.pools):",
        "        elif index is not None:",
        ["tests/test_app.py::test_findings_are_grouped_by_change_pool_object_and_name_field"],
    ),
]

LISTS = {"listed": LISTED, "fresh": FRESH}


# ---------------------------------------------------------------------------
# the run


@dataclass
class Outcome:
    mutant: Mutant
    result: str  # killed | survived | timeout | stale | invalid | equivalent
    seconds: float = 0.0
    detail: str = ""
    tests: list[str] = field(default_factory=list)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def make_copy(rev: str | None) -> Path:
    """A copy of the repository under /tmp: the work tree (tracked and new files), or a commit."""
    base = Path(tempfile.mkdtemp(prefix="mutation-", dir="/tmp"))
    copy = base / "repo"
    copy.mkdir()
    if rev:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    else:
        listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        for rel in filter(None, listed):
            source = ROOT / rel
            if not source.is_file():  # deleted in the work tree
                continue
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shared = ROOT.parent / "shared"  # the corpus the tests read, beside the repository
    if shared.exists():
        (base / "shared").symlink_to(shared)
    return copy


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a restored file must never meet a stale .pyc
    env.pop("PYTHONPATH", None)
    return env


def _pytest(
    copy: Path, args: list[str], timeout: float, *, stop_first: bool, deselect: Iterable[str] = ()
) -> tuple[str, float, str]:
    command = [str(PYTHON), "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += ["-x"] if stop_first else []
    command += [f"--deselect={node}" for node in deselect]
    command += ["-m", "not browser", *args]
    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=copy,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return "timeout", time.monotonic() - start, out
    seconds = time.monotonic() - start
    if proc.returncode == 0:
        return "passed", seconds, out
    if proc.returncode == 1:
        return "failed", seconds, out
    return f"error {proc.returncode}", seconds, out


def collected(copy: Path, args: list[str]) -> set[str]:
    """The node ids pytest collects from `args` (files that exist only)."""
    files = sorted({a.split("::", 1)[0] for a in args if (copy / a.split("::", 1)[0]).is_file()})
    if not files:
        return set()
    proc = subprocess.run(
        [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", *files],
        cwd=copy,
        env=_env(),
        capture_output=True,
        text=True,
    )
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


def available(args: Iterable[str], ids: set[str]) -> list[str]:
    """The arguments that name tests which exist (a missing file or case is left out)."""
    out = []
    for arg in args:
        if "::" not in arg:
            if any(i.startswith(arg + "::") for i in ids):
                out.append(arg)
        elif arg in ids or any(i.startswith(arg + "[") or i.startswith(arg + "::") for i in ids):
            out.append(arg)
    return out


def check(copy: Path, mutants: list[Mutant]) -> list[Outcome]:
    """Mutants whose text is not found exactly once, or whose replacement does not compile."""
    bad = []
    for m in mutants:
        path = copy / m.file
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        found = text.count(m.original)
        if found != 1:
            bad.append(Outcome(m, "stale", detail=f"original text found {found} times in {m.file}"))
            continue
        try:
            compile(text.replace(m.original, m.replacement), m.file, "exec")
        except SyntaxError as exc:
            bad.append(Outcome(m, "invalid", detail=f"does not compile: {exc}"))
    return bad


def failed_tests(output: str) -> list[str]:
    """The node ids pytest's short summary lists as failed."""
    out = []
    for line in output.splitlines():
        if line.startswith("FAILED "):
            out.append(line[len("FAILED ") :].split(" - ", 1)[0].strip())
    return out


def run_one(copy: Path, m: Mutant, ids: set[str], timeout: float, deselect: list[str]) -> Outcome:
    if m.equivalent:
        return Outcome(m, "equivalent", detail=m.equivalent)
    tests = available(m.tests, ids)
    note = ""
    if not tests:  # (a commit from before its tests were written): the whole files that exist
        tests = available(sorted({a.split("::", 1)[0] for a in m.tests}), ids)
        note = "its tests do not exist here; ran the whole files that do. " if tests else ""
    path = copy / m.file
    text = path.read_text(encoding="utf-8")
    if text.count(m.original) != 1:
        return Outcome(m, "stale", detail=f"original text found {text.count(m.original)} times")
    if not tests:
        return Outcome(m, "survived", detail="none of its tests exist", tests=tests)
    path.write_text(text.replace(m.original, m.replacement), encoding="utf-8")
    try:
        status, seconds, out = _pytest(copy, tests, timeout, stop_first=True, deselect=deselect)
    finally:
        path.write_text(text, encoding="utf-8")
    if status == "passed":
        return Outcome(m, "survived", seconds, note, tests)
    if status == "timeout":
        return Outcome(m, "killed", seconds, note + "timed out", tests)
    if status == "failed":
        first = next((line for line in out.splitlines() if line.startswith("FAILED")), "")
        return Outcome(m, "killed", seconds, note + first[:200], tests)
    return Outcome(m, "error", seconds, f"{note}pytest {status}: {out[-400:]}", tests)


def score(outcomes: list[Outcome], folder: str) -> tuple[int, int]:
    counted = [o for o in outcomes if o.mutant.folder == folder and o.result in ("killed", "survived")]
    return sum(o.result == "killed" for o in counted), len(counted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", choices=["listed", "fresh", "all"], default="all")
    parser.add_argument("--only", nargs="*", default=[], help="mutant ids")
    parser.add_argument("--rev", help="mutate the tree of this commit instead of the work tree")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per mutant")
    parser.add_argument("--check", action="store_true", help="only check that every mutant applies")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    parser.add_argument("--keep", action="store_true", help="keep the copy under /tmp")
    args = parser.parse_args(argv)

    names = ["listed", "fresh"] if args.list == "all" else [args.list]
    chosen = [(name, m) for name in names for m in LISTS[name] if not args.only or m.id in args.only]
    ids_seen = [m.id for _, m in chosen]
    if len(set(ids_seen)) != len(ids_seen):
        print("duplicate mutant ids", file=sys.stderr)
        return 2
    copy = make_copy(args.rev)
    print(f"copy: {copy}" + (f" (commit {args.rev})" if args.rev else " (the work tree)"), flush=True)
    try:
        bad = check(copy, [m for _, m in chosen])
        for o in bad:
            print(f"  {o.result.upper():9} {o.mutant.id}: {o.detail}")
        if args.check:
            print(f"{len(chosen) - len(bad)} of {len(chosen)} mutants apply")
            return 1 if bad else 0
        wanted = [a for _, m in chosen if not m.equivalent for a in m.tests]
        ids = collected(copy, wanted)
        deselect: list[str] = []
        if not args.no_baseline:
            union = available(dict.fromkeys(wanted), ids)
            print(f"baseline: {len(union)} test arguments on the unmutated copy ...", flush=True)
            status, seconds, out = _pytest(copy, union, args.timeout * 4, stop_first=False)
            print(f"baseline: {status} in {seconds:.0f} s", flush=True)
            deselect = failed_tests(out)
            if status not in ("passed", "failed") or (status == "failed" and not deselect):
                print(out[-3000:])
                print("the tests cannot run without any mutant: fix that first (or --no-baseline)")
                return 2
            for node in deselect:
                print(f"  fails without any mutant, left out of every run: {node}")
        skip = {id(o.mutant) for o in bad}
        outcomes: dict[str, list[Outcome]] = {name: [] for name in names}
        outcomes_bad = {id(o.mutant): o for o in bad}
        started = time.monotonic()
        for name, m in chosen:
            o = outcomes_bad[id(m)] if id(m) in skip else run_one(copy, m, ids, args.timeout, deselect)
            outcomes[name].append(o)
            print(f"  {o.result.upper():10} {o.seconds:5.0f} s  [{name}] {m.id}  {o.detail}", flush=True)
        print(f"\n{time.monotonic() - started:.0f} s for {len(chosen)} mutants")
        met = True
        for name in names:
            print(f"\n== {name}")
            for folder in ("migrator", "webui"):
                killed, total = score(outcomes[name], folder)
                if total:
                    pct = 100.0 * killed / total
                    met = met and pct >= 90.0
                    print(f"  {folder + '/':10} {killed}/{total} killed ({pct:.0f}%)")
            for o in outcomes[name]:
                if o.result in ("survived", "stale", "invalid", "error"):
                    print(f"  {o.result}: {o.mutant.id} ({o.mutant.file}) {o.mutant.why} {o.detail}".rstrip())
            equivalent = [o for o in outcomes[name] if o.result == "equivalent"]
            for o in equivalent:
                print(f"  equivalent (not counted): {o.mutant.id}: {o.detail}")
        errors = any(o.result in ("stale", "invalid", "error") for os_ in outcomes.values() for o in os_)
        return 0 if met and not errors else 1
    finally:
        if args.keep:
            print(f"kept: {copy}")
        else:
            shutil.rmtree(copy.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
