"""The catalogue of finding codes (`all_codes()`: migrator/report/codes.py and each change's own) is
complete and true.

- Statically: every code the sources can emit is catalogued, read from migrator/ with `ast`:
  the code of every `Finding(...)`, `ctx.finding(...)` and `code=...` argument, as a string
  literal, an f-string (a pattern that a catalogued code must match), a conditional of
  literals, a name assigned such values in the same function, a parameter's default (`block()`
  without `code=` is a `conflict`), or a dict lookup (`_LEDGER_CODES[...]`); the literal
  severities beside it are among the catalogued ones; the module that emits it is among its
  sources. And every catalogued code is emitted somewhere.
- Dynamically: every code of the fixture expectations (tests/fixtures/**/expected.json) and
  of the reports of the corpus files (../shared/corpus) is catalogued with its severity.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrator import analyze
from migrator.changes.registry import all_changes, all_codes
from migrator.report.codes import SOURCES, Code

CODES = all_codes()
BY_CODE = {c.code: c for c in CODES}

ROOT = Path(__file__).resolve().parents[1]
MIGRATOR = ROOT / "migrator"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
SEVERITIES = ("critical", "warning", "info")
# Calls whose first positional argument is a finding code and second its severity.
FINDING_CALLS = {"Finding", "finding"}
# Which catalogue sources each module may emit for (a change module: its own id, or "any change").
MODULE_SOURCES = {
    "changes/context.py": {"any change"},
    "keys.py": {"keys"},
    "chart/value_types.py": {"values check"},
    "chart/preview.py": {"pool preview"},
    "chart/proof.py": {"render proof", "ledger"},
    "chart/ledger.py": {"ledger"},
    "engine.py": {"engine"},
}


@dataclass(frozen=True)
class Emitted:
    module: str  # relative to migrator/
    line: int
    code: str | None  # a literal code, or None for a pattern
    pattern: str | None  # a regular expression from an f-string
    severities: frozenset[str]  # the literal severities beside it (empty: not literal)


def _strings(node: ast.AST | None) -> list[str] | None:
    """The string literals an expression can evaluate to, or None when it is not only literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _pattern(node: ast.JoinedStr) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(re.escape(str(value.value)))
        else:
            parts.append("[a-z0-9-]+")
    return "^" + "".join(parts) + "$"


class _Scanner:
    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self.tree = tree
        self.found: list[Emitted] = []
        self.unresolved: list[str] = []
        # Module-level dicts of strings (e.g. _LEDGER_CODES): name -> values.
        self.dicts: dict[str, list[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                values = [_strings(v) for v in node.value.values]
                if values and all(v is not None for v in values):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.dicts[target.id] = [s for v in values for s in v or []]

    def _resolve(self, node: ast.AST, function: ast.AST | None) -> tuple[list[str], list[str]] | None:
        """(codes, patterns) an expression can be; None when it cannot be read statically."""
        literal = _strings(node)
        if literal is not None:
            return literal, []
        if isinstance(node, ast.JoinedStr):
            return [], [_pattern(node)]
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.dicts
        ):
            return self.dicts[node.value.id], []
        if isinstance(node, ast.Name) and function is not None:
            codes: list[str] = []
            patterns: list[str] = []
            args = function.args  # type: ignore[attr-defined]
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            if any(p.arg == node.id for p in params):
                return [], []  # a parameter passed on: its callers are scanned (and its default below)
            for inner in ast.walk(function):
                if isinstance(inner, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.id for t in inner.targets
                ):
                    resolved = self._resolve(inner.value, function)
                    if resolved is None:
                        return None
                    codes += resolved[0]
                    patterns += resolved[1]
            return (codes, patterns) if codes or patterns else None
        return None

    def _add(self, node: ast.AST, code: ast.AST, severity: ast.AST | None, function: ast.AST | None) -> None:
        resolved = self._resolve(code, function)
        if resolved is None:
            self.unresolved.append(f"{self.module}:{node.lineno}: {ast.unparse(code)}")  # type: ignore[attr-defined]
            return
        severities = frozenset(_strings(severity) or []) if severity is not None else frozenset()
        line = node.lineno  # type: ignore[attr-defined]
        for literal in resolved[0]:
            self.found.append(Emitted(self.module, line, literal, None, severities))
        for pattern in resolved[1]:
            self.found.append(Emitted(self.module, line, None, pattern, severities))

    def scan(self, defaults: dict[str, str]) -> None:
        def visit(node: ast.AST, function: ast.AST | None) -> None:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                function = node
            if isinstance(node, ast.Call):
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                if name in FINDING_CALLS:
                    code = keywords.get("code", node.args[0] if node.args else None)
                    severity = keywords.get("severity", node.args[1] if len(node.args) > 1 else None)
                    if code is not None:
                        self._add(node, code, severity, function)
                elif "code" in keywords:
                    self._add(node, keywords["code"], None, function)
                elif name in defaults and len(node.args) < 3:
                    # e.g. `ctx.block(reason, path)`: the parameter's default code
                    self.found.append(Emitted(self.module, node.lineno, defaults[name], None, frozenset()))
            for child in ast.iter_child_nodes(node):
                visit(child, function)

        visit(self.tree, None)


def _code_defaults(trees: dict[str, ast.Module]) -> dict[str, str]:
    """Methods with a `code` parameter whose default is a literal: name -> default code."""
    found: dict[str, str] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
            pairs += [(p, d) for p, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
            for param, default in pairs:
                if param.arg == "code" and (literal := _strings(default)) and len(literal) == 1:
                    found[node.name] = literal[0]
    return found


@pytest.fixture(scope="module")
def emitted() -> tuple[list[Emitted], list[str]]:
    trees = {
        str(path.relative_to(MIGRATOR)): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(MIGRATOR.rglob("*.py"))
    }
    defaults = _code_defaults(trees)
    found: list[Emitted] = []
    unresolved: list[str] = []
    for module, tree in trees.items():
        scanner = _Scanner(module, tree)
        scanner.scan(defaults)
        found += scanner.found
        unresolved += scanner.unresolved
    return found, unresolved


def test_the_catalogue_is_well_formed() -> None:
    change_ids = {c.id for c in all_changes()}
    assert len(BY_CODE) == len(CODES), "a code is catalogued twice"
    for entry in CODES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.code), entry.code
        assert entry.severities and len(set(entry.severities)) == len(entry.severities), entry
        ordered = tuple(sorted(entry.severities, key=SEVERITIES.index))
        assert entry.severities == ordered, f"{entry.code}: severities most severe first"
        assert entry.meaning.endswith(".") and "\n" not in entry.meaning, entry.code
        assert entry.sources, entry.code
        for source in entry.sources:
            assert source in change_ids or source in SOURCES, f"{entry.code}: unknown source {source!r}"


def test_the_scan_reads_every_finding_code(emitted) -> None:
    found, unresolved = emitted
    assert not unresolved, f"finding codes the scan cannot read (use a literal): {unresolved}"
    # The scan sees the codes of every kind of place (a guard against a scan that finds nothing).
    literal = {e.code for e in found if e.code}
    assert {"conflict", "invalid-value", "object-deleted", "immutable-field", "not-adaptive"} <= literal
    assert any(e.pattern for e in found)


SAMPLE = """
_TABLE = {"a": "from-a-dict", "b": "from-b-dict"}

def block(reason, path=(), code="default-code"):
    pass

def emit(ctx, side, entry, flag):
    ctx.finding("a-literal", "warning" if flag else "info", (), "")
    Finding(f"{side}-pattern", "critical", "", "")
    code = "assigned-one" if flag else "assigned-two"
    Finding(code, "critical", "", "")
    code2 = _TABLE[entry]
    Finding(code2, entry.severity, "", "")
    ctx.block("why", ())
    ctx.block("why", (), code="keyword-code")
"""


def test_the_scan_finds_every_form_of_code() -> None:
    tree = ast.parse(SAMPLE)
    scanner = _Scanner("sample.py", tree)
    scanner.scan(_code_defaults({"sample.py": tree}))
    assert not scanner.unresolved
    codes = {e.code: e.severities for e in scanner.found if e.code}
    assert codes == {
        "a-literal": {"warning", "info"},
        "assigned-one": {"critical"},
        "assigned-two": {"critical"},
        "from-a-dict": frozenset(),
        "from-b-dict": frozenset(),
        "default-code": frozenset(),
        "keyword-code": frozenset(),
    }
    assert [e.pattern for e in scanner.found if e.pattern] == ["^[a-z0-9-]+\\-pattern$"]


def _allowed_sources(e: Emitted, changes: dict[str, str]) -> set[str]:
    """The catalogue sources a code emitted in `e.module` may name."""
    if e.module in changes:
        return {changes[e.module], "any change"}
    allowed = MODULE_SOURCES.get(e.module)
    assert allowed is not None, f"{e.module} emits findings: add it to MODULE_SOURCES"
    return allowed


def _change_ids_by_module() -> dict[str, str]:
    ids = {}
    for path in sorted((MIGRATOR / "changes").glob("*.py")):
        change = getattr(importlib.import_module(f"migrator.changes.{path.stem}"), "CHANGE", None)
        if change is not None:
            ids[f"changes/{path.name}"] = change.id
    return ids


def _candidates(e: Emitted, changes: dict[str, str]) -> list[Code]:
    """The catalogue entries an emitted code can be: its literal, or the codes its f-string matches
    that this module may emit (the placeholder is not read: any matching code of the module counts)."""
    if e.code:
        return [BY_CODE[e.code]] if e.code in BY_CODE else []
    allowed = _allowed_sources(e, changes)
    return [c for c in CODES if re.match(e.pattern or "", c.code) and allowed & set(c.sources)]


def test_every_code_the_sources_emit_is_catalogued(emitted) -> None:
    found, _ = emitted
    changes = _change_ids_by_module()
    missing = sorted(
        f"{e.code or e.pattern} ({e.module}:{e.line})" for e in found if not _candidates(e, changes)
    )
    assert not missing, (
        f"finding codes missing from the catalogue (report/codes.py or the change's codes): {missing}"
    )


def test_the_literal_severities_are_catalogued(emitted) -> None:
    found, _ = emitted
    changes = _change_ids_by_module()
    wrong = [
        f"{e.code or e.pattern} ({e.module}:{e.line}): {sorted(e.severities)}"
        for e in found
        if (candidates := _candidates(e, changes))
        and not any(e.severities <= set(c.severities) for c in candidates)
    ]
    assert not wrong, f"severities missing from the catalogue: {wrong}"


def test_each_code_names_the_steps_that_emit_it(emitted) -> None:
    found, _ = emitted
    changes = _change_ids_by_module()
    wrong = [
        f"{e.code}: emitted in {e.module}:{e.line}, sources {BY_CODE[e.code].sources}"
        for e in found
        if e.code in BY_CODE and not _allowed_sources(e, changes) & set(BY_CODE[e.code].sources)
    ]
    assert not wrong, wrong


def test_every_catalogued_code_is_emitted_somewhere(emitted) -> None:
    found, _ = emitted
    changes = _change_ids_by_module()
    emitted_codes = {c.code for e in found for c in _candidates(e, changes)}
    stale = [c.code for c in CODES if c.code not in emitted_codes]
    assert not stale, f"catalogued codes nothing emits any more: {stale}"


def _fixture_findings() -> list[tuple[str, str, str | None]]:
    out = []
    for path in sorted(FIXTURES.rglob("expected.json")):
        for finding in json.loads(path.read_text(encoding="utf-8")).get("findings", []):
            out.append((str(path.parent.relative_to(FIXTURES)), finding["code"], finding.get("severity")))
    return out


def test_every_code_of_the_fixtures_is_catalogued_with_its_severity() -> None:
    findings = _fixture_findings()
    assert len({case for case, _, _ in findings}) > 50  # the fixtures were found
    wrong = [
        f"{case}: {code} {severity}"
        for case, code, severity in findings
        if code not in BY_CODE or (severity is not None and severity not in BY_CODE[code].severities)
    ]
    assert not wrong, f"fixture findings the catalogue lacks (code or severity): {wrong}"


CORPUS_FILES = sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus not available at {CORPUS}")
def test_every_code_of_the_corpus_reports_is_catalogued_with_its_severity() -> None:
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    targets = [None, *(c.version for c in all_changes())]
    for path in CORPUS_FILES:
        data = path.read_bytes()
        for target in targets if path.name.startswith("adaptive--") else [None]:
            report = analyze(data, name=path.name, target=target)
            for finding in report.findings:
                seen[(finding.code, finding.severity)].append(f"{path.name} -> {target or 'newest'}")
    assert seen
    wrong = [
        f"{code} {severity}: {where[0]}"
        for (code, severity), where in sorted(seen.items())
        if code not in BY_CODE or severity not in BY_CODE[code].severities
    ]
    assert not wrong, f"corpus findings the catalogue lacks (code or severity): {wrong}"
