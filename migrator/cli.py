"""`python -m migrator`: check, migrate, preview, changes.

Exit codes (scripts rely on them): 0 nothing to do / migrated; 1 (`check`
only) a migration is pending; 2 the input cannot be read, or it is another
chart's values; 3 blocked, a human must decide (no output file is written);
4 needs input: the target chart renders the file only once the listed values
are filled in (the file is written).

Nothing from the user's file reaches a terminal raw: control and bidirectional
formatting characters are escaped in every message (`terminal_safe`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from migrator.changes.registry import all_changes, change_for_key
from migrator.chart.packages import ChartPackage, package_from_bytes, package_from_folder, shipped_versions
from migrator.engine import analyze
from migrator.errors import InputError
from migrator.report.model import Report
from migrator.report.secrets import mask_data
from migrator.report.text import pools_summary, summary

EXIT_OK, EXIT_PENDING, EXIT_UNREADABLE, EXIT_BLOCKED, EXIT_NEEDS_INPUT = 0, 1, 2, 3, 4
# One analysis, Helm's renders included, may take this long before the command gives up
# (a chart of your own whose templates never finish must not hang a script).
TIMEOUT_SECONDS = float(os.environ.get("ADAPTIVE_ANALYSIS_TIMEOUT", "60") or 60)
STATUS_EXIT_CHECK = {
    "up-to-date": EXIT_OK,
    "migrated": EXIT_PENDING,
    "needs-input": EXIT_NEEDS_INPUT,
    "blocked": EXIT_BLOCKED,
    "not-adaptive": EXIT_UNREADABLE,
}


def terminal_safe(text: str) -> str:
    """Escape control and formatting characters (escape sequences, bidi overrides) for a terminal."""
    out = []
    for ch in text:
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)


def json_text(data: object) -> str:
    """JSON with every control or formatting character as a \\u escape (still the same JSON)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return "".join(
        ch
        if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")
        else (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else ch.encode("utf-16-be").hex())
        for ch in text
    )


def say(text: str, *, err: bool = False) -> None:
    print(terminal_safe(text), file=sys.stderr if err else sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    watchdog = threading.Timer(TIMEOUT_SECONDS, _give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        return int(args.run(args))
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except Exception as exc:  # never a traceback: scripts parse stderr, users read it
        say(f"error: internal error ({type(exc).__name__}: {exc}); please report it", err=True)
        return EXIT_UNREADABLE
    finally:
        watchdog.cancel()


def _give_up() -> None:
    """Helm's engine cannot be interrupted from Python: past the limit, end the process cleanly."""
    say(
        f"error: the analysis took longer than {TIMEOUT_SECONDS:g} s and was stopped (with a chart of your "
        "own, check that its templates finish); nothing was written",
        err=True,
    )
    sys.stderr.flush()
    os._exit(EXIT_UNREADABLE)


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
            "--to",
            dest="target",
            metavar="VERSION",
            help=f"target chart version, any packaged one ({shipped_versions()[0]} to "
            f"{shipped_versions()[-1]}; default: the newest)",
        )
        p.add_argument(
            "--from",
            dest="from_version",
            metavar="VERSION",
            help="the chart version the release runs now, for what the upgrade does to the cluster "
            "(default: the newest version the file's keys allow)",
        )
        p.add_argument(
            "--chart",
            metavar="PATH",
            help="the target chart as a package (.tgz) or a chart folder, for a chart the assistant does "
            "not carry",
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

    changes = sub.add_parser(
        "changes",
        help="the catalogue of breaking changes; with --from/--to, what changed between two versions",
    )
    changes.add_argument("--json", action="store_true")
    changes.add_argument("--from", dest="from_version", metavar="VERSION", help="the older chart version")
    changes.add_argument(
        "--to", dest="target", metavar="VERSION", help="the newer chart version (default newest)"
    )
    changes.set_defaults(run=_changes)

    schema = sub.add_parser("schema", help="the JSON Schema of the chart's values at a version")
    schema.add_argument("--to", dest="target", metavar="VERSION", help="chart version (default: the newest)")
    schema.add_argument(
        "--draft", choices=("2020-12", "07"), default="2020-12", help="the JSON Schema draft to declare"
    )
    schema.set_defaults(run=_schema)
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def _chart(args: argparse.Namespace) -> ChartPackage | None:
    path = getattr(args, "chart", None)
    if not path:
        return None
    if os.path.isdir(path):
        return package_from_folder(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the chart {path}: {exc.strerror or exc}") from None
    return package_from_bytes(data, path)


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
            from_version=args.from_version,
            chart=_chart(args),
            release=args.release,
            namespace=args.namespace,
            options=args.options,
        )
    except InputError as exc:
        return exc


def _error(path: str, exc: InputError, as_json: bool) -> None:
    if as_json:
        print(json_text({"source": path, "error": exc.to_dict()}))
        return
    say(f"{path}: error: {exc}", err=True)
    if exc.snippet:
        say(f"    {exc.snippet}", err=True)
        if exc.column:
            say("    " + " " * (exc.column - 1) + "^", err=True)


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
            say(summary(result))
        codes.append(STATUS_EXIT_CHECK[result.status])
    if args.json:
        print(json_text(docs[0] if len(args.files) == 1 else docs))
    # The worst outcome decides: unreadable, then blocked, then needs input, then pending.
    for code in (EXIT_UNREADABLE, EXIT_BLOCKED, EXIT_NEEDS_INPUT, EXIT_PENDING):
        if code in codes:
            return code
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    result = _load(args.file, args)
    if isinstance(result, InputError):
        _error(args.file, result, args.json)
        return EXIT_UNREADABLE
    if result.status == "not-adaptive":
        if args.json:
            print(json_text(result.to_dict(reveal_secrets=args.show_secrets)))
        else:
            say(summary(result), err=True)
            say(f"{args.file}: not an `adaptive` values file: nothing changed, no file written.", err=True)
        return EXIT_UNREADABLE
    if result.status == "blocked" or result.migrated_yaml is None:
        if args.json:
            print(json_text(result.to_dict(reveal_secrets=args.show_secrets)))
        else:
            say(summary(result), err=True)
            say(f"{args.file}: blocked: no file written; a human must decide (see above).", err=True)
        return EXIT_BLOCKED
    if args.output:
        try:
            _write_atomically(Path(args.output), result.migrated_yaml)
        except OSError as exc:
            why = exc.strerror or exc
            print(f"{args.output}: error: cannot write the migrated file: {why}", file=sys.stderr)
            return EXIT_UNREADABLE
    if args.json:
        print(json_text(result.to_dict(reveal_secrets=args.show_secrets)))
    elif not args.output:
        text = result.migrated_yaml
        sys.stdout.buffer.write((terminal_safe(text) if sys.stdout.isatty() else text).encode("utf-8"))
    else:
        say(summary(result), err=True)
    return EXIT_NEEDS_INPUT if result.status == "needs-input" else EXIT_OK


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
        keys = ("source", "release", "namespace", "target", "status", "pools", "totals", "service_accounts")
        print(json_text({k: data[k] for k in (*keys, "findings")}))
    else:
        say(pools_summary(result, reveal_secrets=args.show_secrets))
    return EXIT_BLOCKED if result.status == "blocked" else EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from migrator.chart.packages import resolve_version
    from migrator.chart.schema import values_schema_json

    try:
        version = resolve_version(args.target)
    except InputError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_UNREADABLE
    sys.stdout.write(values_schema_json(version, draft=args.draft))
    return EXIT_OK


def _version_changes(args: argparse.Namespace) -> int:
    """Keys added, removed and defaults changed between two chart versions, from the packages."""
    from migrator.chart import catalogue
    from migrator.chart.packages import resolve_version

    try:
        old = resolve_version(args.from_version)
        new = resolve_version(args.target)
    except InputError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_UNREADABLE
    diff = catalogue.diff_versions(old, new)
    rows = []
    for kind, paths in (("added", diff.added), ("removed", diff.removed)):
        for path in paths:
            rows.append({"kind": kind, "path": catalogue.dotted(path), "change": change_for_key(path)})
    for path, before, after in diff.defaults_changed:
        rows.append(
            {
                "kind": "default-changed",
                "path": catalogue.dotted(path),
                "old": mask_data(before, path),
                "new": mask_data(after, path),
                "change": change_for_key(path),
            }
        )
    if args.json:
        print(json_text({"from": old, "to": new, "keys": rows}))
        return EXIT_OK
    lines = [f"chart {old} -> {new}: {len(rows)} key change(s)"]
    for row in rows:
        automated = f"migrated by `{row['change']}`" if row["change"] else "not automated"
        values = f": {row['old']!r} -> {row['new']!r}" if row["kind"] == "default-changed" else ""
        lines.append(f"  {row['kind']:15} {row['path']}{values}  ({automated})")
    say("\n".join(lines))
    return EXIT_OK


def _changes(args: argparse.Namespace) -> int:
    if args.from_version or args.target:
        return _version_changes(args)
    changes = all_changes()
    if args.json:
        print(
            json_text(
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
                ]
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
