"""The layout's rules, read from the source with `ast` (nothing is imported or run).

- A change module imports only its context API (`migrator.changes.context`) and the standard
  library, so the modules behind the context can move without touching a change.
- No import cycle among the modules of `migrator`, `webui`, `app_pages` and `app.py`,
  counting every import: at module level, under `if TYPE_CHECKING`, inside functions. A
  function-level import is fine for start-up time, never to dodge a cycle.
- The arrows run one way: versions/errors <- yaml (and source) <- report <- chart <- changes
  <- the pipeline (detect, keys, engine, cli, worker) <- the web app; `migrator` needs no
  web framework.
- Chart versions are written in one place: `migrator/chart/facts.py` (and each change's own
  version, in its module's `VERSION` and its `CHANGE` record).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANGES = ROOT / "migrator" / "changes"
NOT_CHANGES = {
    "__init__",
    "change",
    "context",
    "registry",
}  # the modules of migrator/changes that are not changes
CONTEXT = "migrator.changes.context"
FACTS = ROOT / "migrator" / "chart" / "facts.py"
VERSION_LITERAL = re.compile(r"\b0\.\d+\.\d+\b")

# Beside facts.py, docstrings and each change module's `VERSION` and `CHANGE`, the only files
# and strings that may hold a chart version, each with the reason.
PROSE_FILES = {
    "migrator/report/codes.py": "the finding codes' meanings: documentation (the README's list), as data",
}
# Version-like text that is not a chart fact: (file, the literal's text) -> why.
NOT_CHART_FACTS = {
    ("migrator/versions.py", " (expected e.g. 0.25.0)"): "an example of the syntax in an error message",
    ("migrator/changes/registry.py", "0.0.0"): "the newest change when none is registered: below every chart",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    files = [*ROOT.glob("migrator/**/*.py"), *ROOT.glob("webui/**/*.py"), *ROOT.glob("app_pages/**/*.py")]
    files.append(ROOT / "app.py")
    return {_module_name(p): p for p in sorted(files)}


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(name: str, path: Path, *, names: bool = True) -> Iterator[tuple[str, int]]:
    """Every module name an import statement of the module names, anywhere in it, with its line.

    `from a.b import c` names `a.b` and (with `names`) `a.b.c`, since c may be a module;
    relative imports are resolved against the module's package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names if names else ():
                yield f"{module}.{alias.name}", node.lineno


@cache
def _graph() -> dict[str, frozenset[str]]:
    modules = _modules()
    return {
        name: frozenset(t for t, _ in _imported(name, path) if t in modules and t != name)
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def _change_modules() -> list[Path]:
    found = [p for p in sorted(CHANGES.glob("*.py")) if p.stem not in NOT_CHANGES]
    assert found, "no change module found"
    return found


def test_a_change_module_imports_only_its_context_and_the_standard_library():
    context_api = _context_exports()
    wrong = []
    for path in _change_modules():
        name = _module_name(path)
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.level:
                wrong.append(f"{path.name}:{node.lineno}: relative import")
            elif isinstance(node, ast.ImportFrom) and node.module == CONTEXT:
                hidden = [a.name for a in node.names if a.name not in context_api]
                if hidden:
                    wrong.append(f"{path.name}:{node.lineno}: {hidden} not in the context's __all__")
        for module, line in _imported(name, path, names=False):
            top = module.split(".")[0]
            if module == CONTEXT or module.startswith(f"{CONTEXT}."):
                continue
            if top == "migrator" or top not in sys.stdlib_module_names:
                wrong.append(f"{path.name}:{line}: imports {module}")
    assert not wrong, "a change module may import only migrator.changes.context:\n" + "\n".join(wrong)


def _context_exports() -> set[str]:
    for node in _tree(CHANGES / "context.py").body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    raise AssertionError("migrator/changes/context.py has no __all__")


def test_no_import_cycle_counting_every_import():
    graph = _graph()
    assert "migrator.engine" in graph and "webui.keys" in graph and "app" in graph
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert _cycles(graph) == [["a", "b", "c"]]


def _layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] != "migrator":
        return 6  # webui, app_pages, app
    if module in ("migrator.errors", "migrator.versions"):
        return 0
    if module == "migrator.source":  # the input's text (encoding, BOM), beside the YAML
        return 1
    sub = parts[1] if len(parts) > 1 else ""
    return {"yaml": 1, "report": 2, "chart": 3, "changes": 4}.get(sub, 5)


def test_the_arrows_run_one_way():
    against = [
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in sorted(targets)
        if _layer(target) > _layer(source) and target != "migrator"
    ]
    assert not against, "an import against the arrows:\n" + "\n".join(against)


def test_the_engine_needs_no_web_framework():
    found = [
        f"{name}:{line}: {module}"
        for name, path in _modules().items()
        if name.startswith("migrator")
        for module, line in _imported(name, path)
        if module.split(".")[0] in ("streamlit", "webui", "app_pages")
    ]
    assert not found


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of the module, its classes and its functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _change_records(tree: ast.Module) -> set[int]:
    """In a change module: the ids of every node of `VERSION = "..."` and `CHANGE = BreakingChange(...)`."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] in (
            ["VERSION"],
            ["CHANGE"],
        ):
            out.update(id(n) for n in ast.walk(node.value))
    return out


def test_chart_versions_are_written_only_in_the_facts():
    found = []
    changes = set(_change_modules())
    for path in sorted(ROOT.glob("migrator/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path == FACTS or rel in PROSE_FILES:
            continue
        tree = _tree(path)
        exempt = _docstrings(tree) | (_change_records(tree) if path in changes else set())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in exempt
                and VERSION_LITERAL.search(node.value)
                and (rel, node.value) not in NOT_CHART_FACTS
            ):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "a chart version outside migrator/chart/facts.py:\n" + "\n".join(found)


def test_no_version_tuple_outside_the_facts():
    """`(0, 37, 2)` is a chart version too: compare with `facts.X.holds(version)` instead."""
    found = []
    for path in sorted(ROOT.glob("migrator/**/*.py")):
        if path == FACTS:
            continue
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 3
                and all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts)
                and node.elts[0].value == 0  # type: ignore[attr-defined]
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found


def test_every_chart_fact_is_used():
    """A fact nobody reads is a stale copy waiting to disagree with the chart."""
    names = [
        node.targets[0].id
        for node in _tree(FACTS).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
        and not node.targets[0].id.startswith("_")
    ]
    assert names
    used = set()
    for path in _modules().values():
        if path == FACTS:
            continue
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "facts"
            ):
                used.add(node.attr)
    assert [n for n in names if n not in used and n != "FACTS"] == []
