"""Surgical edits of a values file's text.

A change never re-serialises the file. It asks for a few key-level edits
(replace this key by that one, remove this key, add a key to that mapping);
the editor rewrites only the lines those keys occupy, in the file's own
indentation and sequence style, and keeps everything else byte for byte.
Each edit also updates the data we *expect* the result to hold; `finish()`
re-parses the new text and refuses to hand it back unless it holds exactly
that data. A wrong edit therefore becomes a clear refusal, never a wrong file.

One editor serves a whole chain of changes: the expected data is updated by
path copying (an edit copies only the containers on its path, so keeping a
checkpoint costs nothing), and the text is re-parsed only when a change needs
the position of something an earlier change rewrote (`NeedsFlush`), and once
at the end, where only the top-level sections that changed are parsed again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from migrator.errors import InputError
from migrator.yaml.document import Document, key_text
from migrator.yaml.parse import LINE_BREAK, Node, parse, split_lines
from migrator.yaml.paths import Path, format_path, get_in
from migrator.yaml.render import BlockRenderer, materialise, render_scalar


class EditError(Exception):
    """The file's layout at this place is one we do not edit automatically."""


class NeedsFlush(Exception):
    """A change asked about text an earlier change rewrote: re-parse, then run it again."""


_UNSET: Any = object()


# ---------------------------------------------------------------------------
# the editor


@dataclass
class _Edit:
    start: int  # first line replaced (0-based)
    stop: int  # one past the last line replaced
    new: list[str]  # new lines, without endings
    kept: list[int]  # original comment lines inside the span, kept after the new lines


class Editor:
    """Collects key-level edits on one Document and produces the new text."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        # The data the edited text must hold. Never changed in place: each edit copies the
        # containers on its path (so the document's own data stays as parsed).
        self._expected: Any = doc.data
        self.base: Any = doc.data  # the data as the current change found it (see begin())
        self._edits: list[_Edit] = []
        self._dirty: list[Path] = []  # paths whose text an edit rewrote: their positions are stale
        # Flow-style collections (JSON files, `{a: 1}`) hold no lines of their own to edit:
        # one edited inside is rendered anew as a whole, at these paths.
        self._rerender: set[Path] = set()
        self._emptied: set[Path] = set()  # block mappings whose every key was removed

    @property
    def expected(self) -> Any:
        """The data the edited text must hold: the document's data with every edit applied."""
        return self._expected

    def get(self, path: Path, default: Any = None) -> Any:
        return get_in(self._expected, path, default)

    def has(self, path: Path) -> bool:
        return get_in(self._expected, path, _UNSET) is not _UNSET

    # -- chains of changes -----------------------------------------------------
    def check_clean(self, path: Path) -> None:
        """Raise NeedsFlush when `path` lies in text an edit of this editor rewrote."""
        for dirty in self._dirty:
            if path[: len(dirty)] == dirty:
                raise NeedsFlush(format_path(path))

    def begin(self) -> tuple:
        """Start a change: it reads (and `Keep` refers to) the data as of now. Returns a checkpoint."""
        self.base = self._expected
        return self.checkpoint()

    def checkpoint(self) -> tuple:
        """A mark to roll back to, e.g. when a change is blocked or must run again."""
        return (
            len(self._edits),
            [len(e.new) for e in self._edits],
            self._expected,
            len(self._dirty),
            frozenset(self._rerender),
            frozenset(self._emptied),
        )

    def rollback(self, mark: tuple) -> None:
        count, lengths, expected, dirty, rerender, emptied = mark
        del self._edits[count:]
        for edit, length in zip(self._edits, lengths, strict=True):
            del edit.new[length:]
        self._expected = expected
        del self._dirty[dirty:]
        self._rerender = set(rerender)
        self._emptied = set(emptied)

    def changed_since(self, mark: tuple) -> bool:
        return mark[2] is not self._expected or self.checkpoint()[:2] != mark[:2]

    # -- operations ----------------------------------------------------------
    def replace_key(
        self,
        path: Path,
        new_key: Any,
        new_value: Any,
        *,
        comments: dict[Path, str] | None = None,
        quote: str = "",
    ) -> None:
        """Put `new_key: new_value` where the key at `path` stands, in its place.

        `comments` maps paths relative to the new key (() is the key itself) to
        inline comments; by default the old key's inline comment moves to the new key.
        """
        value = materialise(self.base, new_value)
        if not self._inside_flow(path[:-1]):
            key_node, value_node = self._block_entry(path)
            comments = dict(comments or {})
            comments.setdefault((), self.doc.inline_comment(path))
            rel = {(new_key, *k): v for k, v in comments.items()}
            lines = BlockRenderer(self, quote, rel).entry(new_key, new_value, key_node.start[1], (new_key,))
            start, stop, kept = self._span(key_node, value_node)
            self._add(_Edit(start, stop, lines, kept))
        self._update(path[:-1], lambda m: _replace_in_order(m, path[-1], new_key, value))
        self._dirty += [path, (*path[:-1], new_key)]

    def remove_key(self, path: Path) -> int:
        """Remove the key at `path` and its value, with the full-line comments inside its block
        (they describe what is removed). Returns how many comment lines went with it."""
        removed_comments = 0
        if not self._inside_flow(path[:-1]):
            key_node, value_node = self._block_entry(path)
            start, stop, kept = self._span(key_node, value_node)
            removed_comments = len(kept)
            self._add(_Edit(start, stop, [], []))
        self._update(path[:-1], lambda m: m.pop(path[-1], None))
        self._dirty.append(path)
        if path[:-1] and self.get(path[:-1]) == {}:
            # The mapping is now empty: without `{}` it would read back as null.
            self._emptied.add(path[:-1])
        return removed_comments

    def add_key(
        self,
        parent_path: Path,
        key: Any,
        value: Any,
        *,
        comments: dict[Path, str] | None = None,
        quote: str = "",
    ) -> None:
        """Add `key: value` at the end of the block mapping at `parent_path` (created if missing)."""
        self.check_clean(parent_path)
        rel = {(key, *k): v for k, v in (comments or {}).items()}
        found = self.doc.entry(parent_path) if parent_path else (None, self.doc.root)
        if found is None or found[1] is None:
            if not parent_path:
                raise EditError("the file is empty; there is no mapping to add keys to")
            if self.get(parent_path) is not None:
                raise NeedsFlush(format_path(parent_path))  # an earlier change created it
            # The parent does not exist: add it, with this key inside, to its own parent.
            self.add_key(parent_path[:-1], parent_path[-1], {key: value}, comments=rel, quote=quote)
            return
        key_node, node = found
        renderer = BlockRenderer(self, quote, rel)
        if node.kind == "map" and node.flow and node.items and self._inside_flow(parent_path):
            pass  # the flow collection is rendered anew as a whole in text()
        elif node.kind == "map" and not node.flow and node.items:
            col = node.items[0][0].start[1]
            line = self._last_line(node)
            # Comment lines right after the last key, indented at least like the keys,
            # belong to that last key (e.g. commented-out examples): insert after them.
            while line + 1 < len(self.doc.lines):
                text = self.doc.lines[line + 1]
                stripped = text.lstrip(" ")
                if not stripped.startswith("#") or len(text) - len(stripped) < col:
                    break
                line += 1
            self._add(_Edit(line + 1, line + 1, renderer.entry(key, value, col, (key,)), []))
        elif key_node is not None and (
            (node.kind == "map" and node.flow and not node.items)
            or (node.kind == "scalar" and node.value == "" and node.style in (None, ""))
        ):
            # `parent: {}` or `parent:` (null): rewrite the parent's line as a block mapping.
            head = self.doc.source_text(key_node) or render_scalar(key_node.value, "")
            col = key_node.start[1]
            comment = self.doc.inline_comment(parent_path)
            inner = renderer.entry(key, value, col + self.doc.style.indent, (key,))
            start, stop, kept = self._span(key_node, node)
            self._add(_Edit(start, stop, [f"{' ' * col}{head}:{comment}", *inner], kept))
            self._dirty.append(parent_path)
        else:
            raise EditError(
                f"`{format_path(parent_path)}` (line {(key_node or node).start[0] + 1}) is written in "
                "flow style or is not a mapping; it cannot be extended automatically"
            )
        new = materialise(self.base, value)
        self._update(parent_path, lambda m: m.__setitem__(key, new))
        self._dirty.append((*parent_path, key))

    def set_scalar(self, path: Path, value: Any, *, quote: str | None = None) -> None:
        """Replace a one-line scalar's text in place (works inside list items and flow style too)."""
        self.check_clean(path)
        found = self.doc.entry(path)
        if not found or found[1].kind != "scalar" or self.doc.source_text(found[1]) is None:
            raise EditError(f"`{format_path(path)}` is not a one-line value")
        node = found[1]
        if node.anchor:
            where = f"`{format_path(path)}` (line {node.start[0] + 1})"
            raise EditError(f"{where} carries an anchor; edit it by hand")
        style = quote if quote is not None else (node.style if node.style in ('"', "'") else "")
        line_no = node.start[0]
        if not self._inside_flow(path[:-1]):
            line = self.doc.lines[line_no]
            new_line = line[: node.start[1]] + render_scalar(value, style) + line[node.end[1] :]
            self._add(_Edit(line_no, line_no + 1, [LINE_BREAK.sub("", new_line)], []))
        self._update(path[:-1], lambda m: m.__setitem__(path[-1], value))
        self._dirty.append(path)

    # -- result ----------------------------------------------------------------
    def has_edits(self) -> bool:
        return bool(self._edits) or bool(self._rerender)

    def text(self) -> str:
        """The new text: untouched lines exactly as they were."""
        return "".join(self._build()[0])

    def finish(self, *, positions: bool = True) -> Document:
        """The edited Document, checked to hold exactly the intended data.

        With `positions=False` (the end of a chain) only the top-level sections that
        changed are parsed again when that proves the same; the rest is parsed on demand.
        """
        lines, line_map = self._build()
        text = "".join(lines)
        if not self.has_edits():
            return self.doc
        if not positions and self._verify_sections(lines, line_map):
            return Document(text, data=self._expected, origin=(self.doc, line_map))
        try:
            result = Document(text)
        except Exception as exc:  # the edit produced text that does not parse
            raise EditError(f"the edited file would not be valid YAML ({exc})") from None
        if not _same(result.data, self._expected):
            raise EditError("the edited file would not hold the intended values; nothing was changed")
        return result

    def _build(self) -> tuple[list[str], dict[int, int]]:
        """The new lines, and where each untouched original line now stands."""
        if () in self._rerender:
            return split_lines(self._render_whole()), {}
        edits = list(self._edits)
        for path in sorted(self._rerender, key=len):
            if any(path[: len(other)] == other for other in self._rerender if other != path):
                continue  # inside a collection rendered anew anyway
            edit = self._rerender_edit(path)
            _check_overlap(edits, edit)
            edits.append(edit)
        for path in self._emptied:
            if self.get(path) == {}:
                edit = self._empty_mapping_edit(path)
                _check_overlap(edits, edit)
                edits.append(edit)
        lines = self.doc.lines
        newline = self.doc.style.newline
        spans = []
        for edit in sorted(edits, key=lambda e: (e.start, e.stop)):
            start, stop = edit.start, edit.stop
            if not edit.new:
                if stop < len(lines) and _blank(lines[stop]) and (start == 0 or _blank(lines[start - 1])):
                    stop += 1  # removing a key must not leave two blank lines where there was one
                elif (
                    stop >= len(lines)
                    and start > 0
                    and _blank(lines[start - 1])
                    and not _in_block_scalar(self.doc, start - 1)
                ):
                    start -= 1  # removing the file's last key must not leave a blank line at its end
            new = [line + newline for line in edit.new] + [lines[i] for i in edit.kept]
            spans.append((start, stop, new))
        out: list[str] = []
        line_map: dict[int, int] = {}
        position = 0
        for start, stop, new in spans:
            start = max(start, position)
            for i in range(position, start):
                line_map[i] = len(out)
                out.append(lines[i])
            if new and out and not LINE_BREAK.search(out[-1]):
                out[-1] += newline  # inserting after a last line with no newline
            out.extend(new)
            position = max(position, stop)
        for i in range(position, len(lines)):
            line_map[i] = len(out)
            out.append(lines[i])
        if lines and not LINE_BREAK.search(lines[-1]) and out and out[-1].endswith(newline):
            out[-1] = out[-1][: -len(newline)]  # the file had no final newline; it still has none
        return out, line_map

    def _verify_sections(self, lines: list[str], line_map: dict[int, int]) -> bool:
        """Check the new text by parsing only the top-level sections that changed.

        Sound for a block mapping at the top with no aliases: each top-level key's
        section then parses on its own, untouched sections are byte-identical, and
        their data was not changed (the same objects). False: parse the whole text.
        """
        doc = self.doc
        root, expected, original = doc.root, self._expected, doc.data
        if (
            root is None
            or root.kind != "map"
            or root.flow
            or doc.parsed.aliases
            or not isinstance(expected, dict)
            or any(k.start[1] != 0 or k.kind != "scalar" for k, _ in root.items)
        ):
            return False
        starts = [k.start[0] for k, _ in root.items] + [len(doc.lines)]
        keys = [key_text(k) for k, _ in root.items]
        if any(e.start < starts[0] or (e.start == e.stop == starts[0] and e.new) for e in self._edits):
            return False  # an edit before the first key
        touched = []
        for i in range(len(keys)):
            low, high = starts[i], starts[i + 1]
            touched.append(
                any(
                    (e.start < high and e.stop > low) or (e.start == e.stop and low < e.start <= high)
                    for e in self._edits
                )
                or any(p[:1] == (keys[i],) for p in self._rerender | self._emptied)
            )
        seen: dict[Any, Any] = {}
        i = 0
        while i < len(keys):
            if not touched[i]:
                if keys[i] not in expected or expected[keys[i]] is not original.get(keys[i], _UNSET):
                    return False
                seen[keys[i]] = expected[keys[i]]
                i += 1
                continue
            j = i
            while j + 1 < len(keys) and touched[j + 1]:
                j += 1
            begin = line_map.get(starts[i] - 1, -1) + 1 if starts[i] > 0 else 0
            end = line_map.get(starts[j + 1]) if j + 1 < len(keys) else len(lines)
            if begin < 0 or end is None or (starts[i] > 0 and (starts[i] - 1) not in line_map):
                return False
            try:
                section = parse("".join(lines[begin:end]))
            except InputError as exc:
                raise EditError(f"the edited file would not be valid YAML ({exc})") from None
            data = section.data if section.data is not None else {}
            if not isinstance(data, dict) or section.aliases:
                return False
            for key, value in data.items():
                if key in seen:
                    return False
                seen[key] = value
            i = j + 1
        if seen.keys() != expected.keys():
            raise EditError("the edited file would not hold the intended values; nothing was changed")
        if not all(_same(seen[k], expected[k]) for k in expected):
            raise EditError("the edited file would not hold the intended values; nothing was changed")
        return True

    # -- flow style ---------------------------------------------------------------
    def _inside_flow(self, path: Path) -> bool:
        """Whether `path` is inside a flow collection; if so, remember to render it anew."""
        if self.doc.root is not None and self.doc.root.flow:
            self._rerender.add(())
            return True
        for cut in range(1, len(path) + 1):
            self.check_clean(path[:cut])
            found = self.doc.entry(path[:cut])
            if not found:
                return False
            if found[1].kind in ("map", "seq") and found[1].flow and found[1].items:
                self._rerender.add(path[:cut])
                self._dirty.append(path[:cut])
                return True
        return False

    def _render_whole(self) -> str:
        """A flow-style document (a JSON file) is written back as JSON in its own indentation."""
        text = self.doc.text
        second = self.doc.lines[1] if len(self.doc.lines) > 1 else ""
        indent = len(second) - len(second.lstrip(" ")) or None
        body = json.dumps(self._expected, indent=indent, ensure_ascii=False)
        if not text.lstrip().startswith("{"):
            raise EditError("the file is written in flow style but is not JSON; edit it by hand")
        newline = self.doc.style.newline
        ending = newline if LINE_BREAK.search(self.doc.lines[-1]) else ""
        return body.replace("\n", newline) + ending

    def _empty_mapping_edit(self, path: Path) -> _Edit:
        key_node, _ = self._block_entry(path, check=False)
        line_no = key_node.start[0]
        line = LINE_BREAK.sub("", self.doc.lines[line_no])
        comment = self.doc.inline_comment(path)
        head = line[: len(line) - len(comment)] if comment else line.rstrip()
        return _Edit(line_no, line_no + 1, [f"{head} {{}}{comment}"], [])

    def _rerender_edit(self, path: Path) -> _Edit:
        key_node, value_node = self._block_entry(path, check=False)
        value = self.get(path)
        comment = self.doc.inline_comment(path)
        renderer = BlockRenderer(self, "", {(path[-1],): comment})
        lines = renderer.entry(path[-1], value, key_node.start[1], (path[-1],))
        start, stop, kept = self._span(key_node, value_node)
        return _Edit(start, stop, lines, kept)

    # -- helpers ---------------------------------------------------------------
    def _add(self, edit: _Edit) -> None:
        if edit.start == edit.stop and not edit.kept:
            for other in self._edits:
                if other.start == other.stop == edit.start and not other.kept:
                    other.new += edit.new  # keys added at the same place, in the order asked
                    return
        _check_overlap(self._edits, edit)
        self._edits.append(edit)

    def _block_entry(self, path: Path, *, check: bool = True) -> tuple[Node, Node]:
        if check:
            self.check_clean(path)
        found = self.doc.entry(path)
        if not found or found[0] is None:
            if check and self.has(path):
                raise NeedsFlush(format_path(path))  # an earlier change created it
            raise EditError(f"`{format_path(path)}` is not a key of the file")
        key_node, value_node = found
        parent = self.doc.entry(path[:-1]) if path[:-1] else (None, self.doc.root)
        parent_node = parent[1] if parent else None
        line = LINE_BREAK.sub("", self.doc.lines[key_node.start[0]])
        if (parent_node is not None and parent_node.flow) or line[: key_node.start[1]].strip():
            raise EditError(
                f"`{format_path(path)}` (line {key_node.start[0] + 1}) shares its line with other "
                "YAML (flow style or a list dash); it cannot be edited in place automatically"
            )
        if key_node.anchor or value_node.anchor:
            raise EditError(
                f"`{format_path(path)}` (line {key_node.start[0] + 1}) carries an anchor that other keys "
                "may refer to; edit it by hand"
            )
        return key_node, value_node

    def _span(self, key_node: Node, value_node: Node) -> tuple[int, int, list[int]]:
        start = key_node.start[0]
        end = max(start, self._last_line(value_node))
        covered = _content_lines(key_node) | _content_lines(value_node)
        kept = [i for i in range(start + 1, end + 1) if i not in covered and not _blank(self.doc.lines[i])]
        return start, end + 1, kept

    def _last_line(self, node: Node) -> int:
        """The node's last line of text; an empty value after `? key` is marked past the end."""
        end = node.content_end_line() if node.kind != "alias" else node.end[0]
        return min(end, len(self.doc.lines) - 1)

    def _update(self, path: Path, change: Any) -> None:
        """Apply `change` to a fresh copy of the container at `path`, copying its ancestors."""
        self._expected = _assoc(self._expected, path, change)


class DocumentView:
    """What a change asks of the document's text during a chain: positions, while still valid.

    The values themselves come from `ChangeContext.get`.
    """

    def __init__(self, editor: Editor) -> None:
        self._editor = editor

    def entry(self, path: Path) -> tuple[Node | None, Node] | None:
        self._editor.check_clean(path)
        return self._editor.doc.entry(path)

    def inline_comment(self, path: Path) -> str:
        self._editor.check_clean(path)
        return self._editor.doc.inline_comment(path)

    def line_of(self, path: Path) -> int | None:
        """The line in the text this chain started from (None once an edit moved it)."""
        try:
            self._editor.check_clean(path)
        except NeedsFlush:
            return None
        return self._editor.doc.line_of(path)


def _assoc(root: Any, path: Path, change: Any) -> Any:
    """A new `root` whose container at `path` is a changed copy; nothing is changed in place."""
    if root is None:
        root = {}  # a missing or null parent becomes a mapping
    if isinstance(root, dict):
        new: Any = dict(root)
    elif isinstance(root, list):
        new = list(root)
    else:
        raise EditError(f"cannot edit inside a {type(root).__name__}")
    if not path:
        change(new)
        return new
    head = path[0]
    child = new.get(head) if isinstance(new, dict) else new[head]
    new[head] = _assoc(child, path[1:], change)
    return new


def _check_overlap(edits: list[_Edit], edit: _Edit) -> None:
    for other in edits:
        if (edit.start < other.stop and other.start < edit.stop) or (
            edit.start == edit.stop == other.start == other.stop
        ):
            raise EditError("two edits touch the same lines")


def _replace_in_order(mapping: dict, old_key: Any, new_key: Any, value: Any) -> None:
    items = list(mapping.items())
    mapping.clear()
    for k, v in items:
        if k == old_key:
            mapping[new_key] = value
        elif k != new_key:
            mapping[k] = v


def _content_lines(node: Node) -> set[int]:
    """Lines holding YAML text of `node` (not comment-only lines between its children)."""
    lines: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind in ("map", "seq") and not current.flow:
            lines.add(current.start[0])
            for item in current.items:
                stack.extend(item if current.kind == "map" else (item,))
        else:
            lines.update(range(current.start[0], current.content_end_line() + 1))
    return lines


def _in_block_scalar(doc: Document, line: int) -> bool:
    """Whether `line` lies within a literal or folded block scalar (its blank lines may be its value)."""
    stack = [doc.root] if doc.root is not None else []
    while stack:
        node = stack.pop()
        if node.kind == "scalar":
            if node.style in ("|", ">") and node.start[0] <= line <= node.end[0]:
                return True
        elif node.kind in ("map", "seq") and node.start[0] <= line <= max(node.end[0], node.start[0]):
            stack.extend(c for item in node.items for c in (item if node.kind == "map" else (item,)))
    return False


def _blank(line: str) -> bool:
    return not line.strip()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
