"""The faces render one view model the engine built: nothing above the engine parses YAML.

- No face (the web app, its pages, the CLI, the text and Markdown reports) imports a YAML
  library or the YAML reader, or calls a function that parses YAML (read from the sources
  with `ast`).
- Everything a page shows of a legacy file (the analysis, the masked and the revealed
  side-by-side diff, the masked and the revealed structural view), through the worker pipe,
  parses the input once (the engine) and the migrated text at most once (masking it).
- The views say what the texts said: masked as `mask_yaml_text` masks them, the structure as
  the structural diff of the parsed texts.
"""

from __future__ import annotations

import ast
import pickle
from collections import Counter
from pathlib import Path

import pytest
import yaml

import migrator
import migrator.yaml.parse as yaml_parse
from migrator.report.model import Report
from migrator.report.secrets import MASK, mask_yaml_text
from migrator.report.structure import structural_changes
from migrator.report.views import ReportViews
from webui import jobs

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "examples" / "values-0.17-era.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "changes"

FACES = sorted(
    [
        *ROOT.glob("webui/*.py"),
        *ROOT.glob("app_pages/*.py"),
        ROOT / "app.py",
        ROOT / "migrator" / "cli.py",
        ROOT / "migrator" / "report" / "markdown.py",
        ROOT / "migrator" / "report" / "text.py",
    ]
)
# Modules that parse YAML (or hold a parsed document), and the functions that do.
PARSING_MODULES = ("yaml", "migrator.yaml.parse", "migrator.yaml.document", "migrator.yaml.editor")
PARSING_CALLS = frozenset(
    {
        "parse",
        "build_tree",
        "CParser",
        "Document",
        "load_document",
        "mask_yaml_text",
        "mask_parsed_text",
        "structural_changes",
        "load",
        "safe_load",
        "full_load",
        "unsafe_load",
        "load_all",
        "safe_load_all",
        "compose",
        "compose_all",
    }
)


def _parses_yaml(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PARSING_MODULES or alias.name.startswith("yaml."):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module in PARSING_MODULES or module.startswith("yaml."):
                found.append(f"line {node.lineno}: from {module} import ...")
            elif module == "migrator.yaml" and names & {"parse", "document", "editor"}:
                found.append(f"line {node.lineno}: from migrator.yaml import {', '.join(sorted(names))}")
            elif names & PARSING_CALLS:
                found.append(
                    f"line {node.lineno}: from {module} import {', '.join(sorted(names & PARSING_CALLS))}"
                )
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", "")
            if name in PARSING_CALLS:
                found.append(f"line {node.lineno}: calls {name}()")
    return found


@pytest.mark.parametrize("path", FACES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_face_parses_yaml(path: Path) -> None:
    assert _parses_yaml(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_check_sees_a_face_that_parses() -> None:
    for source in (
        "import yaml\n",
        "from migrator.yaml.parse import split_lines\n",
        "from migrator.report.secrets import mask_yaml_text\n",
        "from migrator.yaml import parse\n",
        "x = thing.parse(text)\n",
        "y = safe_load(text)\n",
    ):
        assert _parses_yaml(ast.parse(source)), source
    assert _parses_yaml(ast.parse("from migrator.report.secrets import mask_data\nmask_data(v)\n")) == []


# ---------------------------------------------------------------------------
# how often a page parses its texts


@pytest.fixture
def parsed_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text handed to a YAML parser while the test runs."""
    texts: list[str] = []
    real = yaml_parse.CParser  # every parse of ours builds its tree through it

    def counting_parser(text: str):
        texts.append(text)
        return real(text)

    monkeypatch.setattr(yaml_parse, "CParser", counting_parser)
    for name in ("compose", "compose_all", "load", "load_all", "safe_load", "safe_load_all", "full_load"):
        original = getattr(yaml, name)

        def counting(stream, *args, _original=original, **kwargs):
            texts.append(stream if isinstance(stream, str) else "")
            return _original(stream, *args, **kwargs)

        monkeypatch.setattr(yaml, name, counting)
    return texts


def _whole_texts(texts: list[str], report: Report) -> Counter:
    """How many of `texts` were the whole input and how many the whole migrated text."""
    original = report.original_yaml.lstrip("\ufeff")
    migrated = (report.migrated_yaml or "").lstrip("\ufeff")
    counts: Counter = Counter(original=0, migrated=0)
    for text in texts:
        text = text.lstrip("\ufeff")
        if text == original:
            counts["original"] += 1
        elif text == migrated:
            counts["migrated"] += 1
    return counts


def _through_the_pipe(value):
    return pickle.loads(pickle.dumps(value))


def _everything_a_page_shows(data: bytes, name: str) -> tuple[Report, list]:
    """What the Upgrade page asks its workers for, as the server gets it (pickled)."""
    report, diff = _through_the_pipe(jobs.analyze_page(data, name=name, left_title="a", right_title="b"))
    shown = [diff, report.migrated_yaml_shown(), report.to_json(), report.to_json(reveal_secrets=True)]
    for reveal in (False, True):
        views = _through_the_pipe(report.views)  # each job gets the views through a pipe
        shown.append(_through_the_pipe(jobs.diff_view(views, left_title="a", right_title="b", reveal=reveal)))
        shown.append(_through_the_pipe(jobs.structure_view(views, reveal=reveal)))
    return report, shown


def test_a_legacy_page_parses_the_input_once_and_the_migrated_text_once(parsed_texts) -> None:
    report, shown = _everything_a_page_shows(LEGACY.read_bytes(), LEGACY.name)
    assert report.status == "needs-input" and report.migrated_yaml is not None
    # Was 3 and 4: the engine, then masking, the diff and the structural view each parsed again.
    assert _whole_texts(parsed_texts, report) == Counter(original=1, migrated=1)
    diff_html, diff_counts = shown[0]
    assert MASK in diff_html and diff_counts["changed"] > 0
    assert shown[-2][0] != diff_html, "revealed, the diff shows the secrets"
    assert isinstance(shown[-1], list) and shown[-1], "the structural view lists what moved"


@pytest.mark.parametrize(
    "path",
    [
        LEGACY,
        *(FIXTURES / c / "before.yaml" for c in ("db-config-split/bom", "db-config-split/already-migrated")),
    ],
    ids=["0.17-era", "bom", "up-to-date"],
)
def test_the_faces_parse_nothing_the_engine_parsed(path: Path, parsed_texts) -> None:
    """Beyond the engine's own parses, a page adds none of the input, and of the migrated text
    one at most: to mask it when the engine never built its node tree (it verifies an edited
    file section by section), none when it did."""
    engine_alone = migrator.analyze(path.read_bytes(), name=path.name)
    by_engine = _whole_texts(parsed_texts, engine_alone)
    parsed_texts.clear()
    report, _ = _everything_a_page_shows(path.read_bytes(), path.name)
    by_page = _whole_texts(parsed_texts, report)
    assert by_page["original"] == by_engine["original"] == 1
    assert by_page["migrated"] - by_engine["migrated"] == (0 if by_engine["migrated"] else 1) or (
        report.migrated_yaml == report.original_yaml and by_page["migrated"] == 0
    ), (by_engine, by_page)


def test_the_cli_and_the_markdown_report_parse_nothing_more(parsed_texts) -> None:
    from migrator.report.markdown import report_markdown
    from migrator.report.text import summary

    report = migrator.analyze(LEGACY.read_bytes(), name=LEGACY.name, prove_with_helm=False)
    by_engine = _whole_texts(parsed_texts, report)
    summary(report)
    report_markdown(report)
    report.to_json()
    by_faces = _whole_texts(parsed_texts, report) - by_engine
    assert by_faces["original"] == 0 and by_faces["migrated"] <= (0 if by_engine["migrated"] else 1)


# ---------------------------------------------------------------------------
# the views say what the texts say


CASES = [*sorted(FIXTURES.glob("*/*/before.yaml")), LEGACY]


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_the_views_are_the_texts_masked_and_compared(path: Path) -> None:
    report = migrator.analyze(path.read_bytes(), prove_with_helm=False)
    views = report.views
    assert views.original_shown() == mask_yaml_text(report.original_yaml)
    assert views.original_shown(reveal=True) == report.original_yaml
    if report.migrated_yaml is not None:
        assert views.migrated_shown() == mask_yaml_text(report.migrated_yaml)
        assert report.migrated_yaml_shown() == views.migrated_shown()
        old = yaml_parse.parse(report.original_yaml).data
        new = yaml_parse.parse(report.migrated_yaml).data
        assert views.structure(reveal=True) == structural_changes(old, new)


@pytest.mark.parametrize(
    "text",
    [
        "USER-SUPPLIED VALUES:\nsecrets:\n  dbUrl: postgresql://app:pl-view-1@db:5432/app\n",
        "\ufeffUSER-SUPPLIED VALUES:\r\nsecrets:\r\n  password: pl-view-2\r\n",
        "foo: bar\npassword: pl-view-3\n",  # another chart's file: handed back as it came
        "secrets:\n  password: pl-view-4\n",
    ],
    ids=["helm-header", "bom-header-crlf", "not-adaptive", "up-to-date"],
)
def test_views_of_texts_the_engine_changed_on_the_way_in(text: str) -> None:
    report = migrator.analyze(text, prove_with_helm=False)
    views = report.views
    assert views.original_shown() == mask_yaml_text(report.original_yaml)
    assert "pl-view" not in views.original_shown()
    if report.migrated_yaml is not None:
        assert views.migrated_shown() == mask_yaml_text(report.migrated_yaml)
        assert "pl-view" not in views.migrated_shown()
        assert "pl-view" not in repr(views.structure())


def test_the_views_cross_the_pipe_without_the_documents() -> None:
    report = migrator.analyze(LEGACY.read_bytes(), prove_with_helm=False)
    report.views.prepare()
    assert report.views._docs is not None
    copy = _through_the_pipe(report)
    assert copy.views._docs is None  # node trees stay in the worker
    assert copy.views.original_shown() == report.views.original_shown()
    assert copy.views.migrated_shown() == report.views.migrated_shown()
    assert copy.views.structure() == report.views.structure()
    assert copy.to_json() == report.to_json()


def test_a_report_built_otherwise_gets_views_of_its_texts() -> None:
    report = migrator.analyze(LEGACY.read_bytes(), prove_with_helm=False)
    report.migrated_yaml = "secrets:\n  password: pl-view-5\n"  # not what the engine made: not its views
    assert report.migrated_yaml_shown() == mask_yaml_text(report.migrated_yaml)
    bare = ReportViews("a: 1\n", "a: 2\n")
    assert bare.structure() == [{"kind": "changed", "path": "a", "old": 1, "new": 2}]
    assert jobs.structure_view("a: 1\n", "a: 2\n", reveal=True) == [
        {"kind": "changed", "path": "a", "old": 1, "new": 2}
    ]
