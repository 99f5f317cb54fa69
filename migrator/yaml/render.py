"""New YAML text for values an edit writes: scalars that read back as themselves, blocks in
the file's style, and `Keep` markers for values carried over with their original text."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from migrator.yaml.document import Document
from migrator.yaml.parse import resolve_plain
from migrator.yaml.paths import Path, get_in


@dataclass(frozen=True)
class Keep:
    """A value to carry over from `path` of the document, keeping its original text."""

    path: Path


_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_/.][A-Za-z0-9_./@:%+=~$-]*$")
# Plain text that other YAML 1.1 readers do not take as text: timestamps (go-yaml, which Helm uses,
# turns `2001-12-14` into `2001-12-14T00:00:00Z`), sexagesimal numbers (`1:20` is 80 to PyYAML),
# `.0_` (a float to PyYAML). New text is written plain only when PyYAML's resolver agrees it is text.
_YAML11 = Resolver()


def _text_to_every_reader(text: str) -> bool:
    return _YAML11.resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def render_scalar(value: Any, quote: str = '"') -> str:
    """YAML text for a scalar that reads back as exactly `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if (
        quote == ""
        and _PLAIN_SAFE.match(text)
        and _text_to_every_reader(text)
        and not text.endswith(":")
        and resolve_plain(text) == text
        and isinstance(resolve_plain(text), str)
    ):
        return text
    if quote == "'" and text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _double_quoted(text: str) -> str:
    out = []
    for ch in json.dumps(text, ensure_ascii=False)[1:-1]:
        if not ch.isprintable() and ch not in "\t":
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class EditedText(Protocol):
    """What the renderer needs of the editor: the document, the data so far, and whether a key's
    text is still the document's own (`check_clean` raises NeedsFlush when an edit rewrote it)."""

    doc: Document
    base: Any

    def check_clean(self, path: Path) -> None: ...


class BlockRenderer:
    """Block YAML for new values, in the document's style, with comments for new keys."""

    def __init__(self, editor: EditedText, quote: str, comments: dict[Path, str]) -> None:
        self.editor = editor
        self.doc = editor.doc
        self.style = editor.doc.style
        self.quote = quote
        self.comments = comments

    def value_text(self, value: Any) -> str | None:
        """One-line text for a scalar, empty collection, or kept one-line source; else None."""
        if isinstance(value, Keep):
            self.editor.check_clean(value.path)
            found = self.doc.entry(value.path)
            if found:
                text = self.doc.source_text(found[1])
                if text is not None:
                    return text
            return self.value_text(get_in(self.editor.base, value.path))
        if isinstance(value, dict):
            return "{}" if not value else None
        if isinstance(value, list):
            return "[]" if not value else None
        return render_scalar(value, self.quote)

    def entry(self, key: Any, value: Any, col: int, path: Path, prefix: str | None = None) -> list[str]:
        """Lines for `key: value` at column `col` (`prefix` replaces the indentation, e.g. '- ')."""
        lead = prefix if prefix is not None else " " * col
        head = f"{lead}{render_scalar(key, '')}:"
        comment = self.comments.get(path, "")
        text = self.value_text(value)
        if text is not None:
            return [f"{head} {text}{comment}"]
        resolved = self.resolve(value)
        lines = [f"{head}{comment}"]
        if isinstance(resolved, dict):
            lines += self.mapping(resolved, col + self.style.indent, path)
        else:
            lines += self.sequence(resolved, col + self.style.seq_offset, path)
        return lines

    def mapping(self, value: dict, col: int, path: Path) -> list[str]:
        lines: list[str] = []
        for k, v in value.items():
            lines += self.entry(k, v, col, (*path, k))
        return lines

    def sequence(self, value: list, col: int, path: Path) -> list[str]:
        lines: list[str] = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            item = self.resolve(item) if isinstance(item, Keep) else item
            text = self.value_text(item)
            if text is not None:
                lines.append(f"{' ' * col}- {text}{self.comments.get(item_path, '')}")
                continue
            if isinstance(item, dict):
                first = True
                for k, v in item.items():
                    prefix = " " * col + "- " if first else None
                    lines += self.entry(k, v, col + 2, (*item_path, k), prefix=prefix)
                    first = False
            else:
                lines.append(f"{' ' * col}-")
                lines += self.sequence(item, col + 2, item_path)
        return lines

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Keep):
            return get_in(self.editor.base, value.path)
        return value


def materialise(data: Any, value: Any) -> Any:
    """The plain data a value to render stands for (Keep markers resolved against `data`).

    Kept values are shared, not copied: expected data is never changed in place.
    """
    if isinstance(value, Keep):
        return get_in(data, value.path)
    if isinstance(value, dict):
        return {k: materialise(data, v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialise(data, v) for v in value]
    return value
