"""`python -m migrator`: check, migrate, preview, changes.

Exit codes (scripts rely on them): 0 nothing to do / migrated; 1 (`check`
only) a migration is pending; 2 the input cannot be read; 3 blocked, a human
must decide (no output file is written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from migrator.engine import analyze
from migrator.errors import InputError
from migrator.registry import all_changes
from migrator.report import Report
from migrator.secrets import mask_data

EXIT_OK, EXIT_PENDING, EXIT_UNREADABLE, EXIT_BLOCKED = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except Exception as exc:  # never a traceback: scripts parse stderr, users read it
        print(f"error: internal error ({type(exc).__name__}: {exc}); please report it", file=sys.stderr)
        return EXIT_UNREADABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m migrator",
        description="Check, migrate and preview values files of the `adaptive` Helm chart.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, *, many: bool = False) -> None:
        p.add_argument(
            "files" if many else "file",
            nargs="+" if many else None,
            metavar="FILE",
            help="values file(s); `-` reads standard input",
        )
        p.add_argument(
            "--to", dest="target", metavar="VERSION", help="target chart version (default: newest known)"
        )
        p.add_argument("--json", action="store_true", help="print the JSON report")
        p.add_argument("--show-secrets", action="store_true", help="do not mask secrets in the output")
        p.add_argument("--release", default="adaptive", help="Helm release name (default: adaptive)")
        p.add_argument("--namespace", default="default", help="namespace (default: default)")
        p.add_argument(
            "--opt",
            dest="options",
            action="append",
            default=[],
            metavar="NAME",
            help="apply an opt-in rewrite a change offers (repeatable; see `changes`)",
        )

    check = sub.add_parser("check", help="tell which chart version a file is for and what is pending")
    common(check, many=True)
    check.set_defaults(run=_check)

    migrate = sub.add_parser("migrate", help="write the migrated file")
    common(migrate)
    migrate.add_argument(
        "-o", "--output", metavar="OUT", help="write the migrated file here (default: stdout)"
    )
    migrate.set_defaults(run=_migrate)

    preview = sub.add_parser("preview", help="the compute pools the chart will create")
    common(preview)
    preview.set_defaults(run=_preview)

    changes = sub.add_parser("changes", help="the catalogue of breaking changes")
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(run=_changes)
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def _load(path: str, args: argparse.Namespace) -> Report | InputError:
    try:
        data = _read(path)
    except OSError as exc:
        return InputError(f"cannot read {path}: {exc.strerror or exc}")
    try:
        return analyze(
            data,
            name=path,
            target=args.target,
            release=args.release,
            namespace=args.namespace,
            options=args.options,
        )
    except InputError as exc:
        return exc


def _error(path: str, exc: InputError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"source": path, "error": exc.to_dict()}, indent=2))
        return
    print(f"{path}: error: {exc}", file=sys.stderr)
    if exc.snippet:
        print(f"    {exc.snippet}", file=sys.stderr)
        if exc.column:
            print("    " + " " * (exc.column - 1) + "^", file=sys.stderr)


def _summary(report: Report) -> str:
    lines = [f"{report.source}: {report.status} (layout: {report.detected.label}; target {report.target})"]
    for ev in report.detected.evidence:
        lines.append(f"  evidence: {ev.path}{f' (line {ev.line})' if ev.line else ''} -> {ev.says}")
    for change in report.changes:
        lines.append(f"  [{change.status}] {change.version} {change.id}: {change.title}")
        if change.blocked_reason:
            lines.append(f"      blocked: {change.blocked_reason}")
        for step in change.manual_steps:
            lines.append(f"      by hand: {step}")
    for f in report.findings:
        where = f" line {f.line}" if f.line else ""
        lines.append(f"  {f.severity}: [{f.code}] {f.path}{where}: {f.message}")
    for m in report.moved:
        lines.append(f"  moved: {m.source} -> {m.target}")
    for d in report.dropped:
        lines.append(f"  dropped: {d.path} ({d.reason})")
    for note in report.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> int:
    codes = []
    docs: list[dict] = []  # with --json: one entry per file, in order (a report or an error)
    for path in args.files:
        result = _load(path, args)
        if isinstance(result, InputError):
            if args.json:
                docs.append({"source": path, "error": result.to_dict()})
            else:
                _error(path, result, False)
            codes.append(EXIT_UNREADABLE)
            continue
        if args.json:
            docs.append(result.to_dict(reveal_secrets=args.show_secrets))
        if not args.json:
            print(_summary(result))
        codes.append(
            {"up-to-date": EXIT_OK, "migrated": EXIT_PENDING, "blocked": EXIT_BLOCKED}[result.status]
        )
    if args.json:
        print(json.dumps(docs[0] if len(args.files) == 1 else docs, indent=2, ensure_ascii=False))
    # The worst outcome decides: unreadable, then blocked, then pending.
    for code in (EXIT_UNREADABLE, EXIT_BLOCKED, EXIT_PENDING):
        if code in codes:
            return code
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    result = _load(args.file, args)
    if isinstance(result, InputError):
        _error(args.file, result, args.json)
        return EXIT_UNREADABLE
    if result.status == "blocked" or result.migrated_yaml is None:
        if args.json:
            print(result.to_json(reveal_secrets=args.show_secrets))
        else:
            print(_summary(result), file=sys.stderr)
            print(f"{args.file}: blocked: no file written; a human must decide (see above).", file=sys.stderr)
        return EXIT_BLOCKED
    if args.output:
        try:
            _write_atomically(Path(args.output), result.migrated_yaml)
        except OSError as exc:
            why = exc.strerror or exc
            print(f"{args.output}: error: cannot write the migrated file: {why}", file=sys.stderr)
            return EXIT_UNREADABLE
    if args.json:
        print(result.to_json(reveal_secrets=args.show_secrets))
    elif not args.output:
        sys.stdout.buffer.write(result.migrated_yaml.encode("utf-8"))
    else:
        print(_summary(result), file=sys.stderr)
    return EXIT_OK


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: a crash never leaves a half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _preview(args: argparse.Namespace) -> int:
    result = _load(args.file, args)
    if isinstance(result, InputError):
        _error(args.file, result, args.json)
        return EXIT_UNREADABLE
    if args.json:
        data = result.to_dict(reveal_secrets=args.show_secrets)
        print(
            json.dumps(
                {
                    k: data[k]
                    for k in (
                        "source",
                        "release",
                        "namespace",
                        "target",
                        "status",
                        "pools",
                        "totals",
                        "findings",
                    )
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(
            f"{result.source}: release {result.release}, namespace {result.namespace}, chart {result.target}"
        )
        for p in result.pools:
            print(f"  pool {p.name!r}: StatefulSet {p.statefulset}, headless Service {p.headless_service}")
            print(f"    GROUP={p.group} PARTITION_KEY={p.partition_key} capabilities={p.capabilities}")
            print(f"    replicas={p.replicas} gpusPerReplica={p.gpus_per_replica} GPUs={p.gpus_total}")
            for pod, dns in zip(p.pods, p.dns_names, strict=False):
                print(f"    pod {pod}  {dns}")
            shown = p.resources if args.show_secrets else mask_data(p.resources)
            print(f"    resources ({p.sources.get('resources', '?')}): {shown}")
            if p.problems:
                print(f"    problems: {', '.join(p.problems)}")
        print(f"  total: {result.total_pods} pods, {result.total_gpus} GPUs")
        for f in result.findings:
            print(f"  {f.severity}: [{f.code}] {f.path}: {f.message}")
    return EXIT_BLOCKED if result.status == "blocked" else EXIT_OK


def _changes(args: argparse.Namespace) -> int:
    changes = all_changes()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "version": c.version,
                        "title": c.title,
                        "explanation": c.explanation,
                        "automated": c.automated,
                        "manual_steps": list(c.manual_steps),
                        "severity": c.severity,
                        "old_keys": list(c.old_keys),
                        "new_keys": list(c.new_keys),
                        "example_before": c.example_before,
                        "example_after": c.example_after,
                        "options": list(c.options),
                    }
                    for c in changes
                ],
                indent=2,
            )
        )
        return EXIT_OK
    for c in changes:
        print(f"{c.version}  {c.id}: {c.title}")
        print(f"    {c.explanation}")
        print(f"    automated: {c.automated}")
        for step in c.manual_steps:
            print(f"    by hand: {step}")
        for name in c.options:
            print(f"    opt-in: --opt {name}")
    return EXIT_OK
