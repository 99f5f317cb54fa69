"""README.md's generated sections (the breaking changes, the finding codes) are what `make docs`
writes now: a change or a code added, edited or removed without `make docs` fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from migrator.changes.change import GUIDE_URL
from migrator.changes.registry import all_changes, all_codes

CODES = all_codes()

ROOT = Path(__file__).resolve().parents[1]


def _load_generator():
    spec = importlib.util.spec_from_file_location("readme_generator", ROOT / "tools" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme = _load_generator()


def test_the_readme_is_what_make_docs_writes() -> None:
    current = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.update(current) == current, "README.md is stale: run `make docs`"


def test_the_generated_sections_name_every_change_and_every_code() -> None:
    generated = readme.sections()
    for change in all_changes():
        assert f"`{change.id}`" in generated["changes"]
        assert change.title in generated["changes"]
    for code in CODES:
        assert f"| `{code.code}` |" in generated["codes"]


def test_a_stale_section_is_noticed_and_the_rest_is_kept() -> None:
    begin = readme.begin_marker("changes")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = text.replace(f"{begin}\n", f"{begin}\n| 9.9.9 | `made-up` |\n", 1)
    assert stale != text
    assert readme.update(stale) == text


def test_missing_markers_are_an_error_not_a_silent_pass() -> None:
    with pytest.raises(ValueError, match="markers"):
        readme.update("# a README without the generated sections\n")


def test_the_guide_links_point_where_the_web_app_points() -> None:
    linked = [change for change in all_changes() if change.guide_link is not None]
    assert linked
    for change in linked:
        _words, url = change.guide_link
        assert url.startswith(GUIDE_URL) and f"]({url})" in readme._guide(change)


def test_make_docs_runs_the_generator() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ndocs:" in makefile and "tools.readme" in makefile
