"""What the faces show of one analysis, built once from the documents the engine parsed.

The CLI, the Markdown report and the web pages show the original and the migrated
text (secrets masked unless revealed) and the structural diff of the two. None of
them parses YAML: they read a `ReportViews`, which the engine hands over with the
report (`Report.views`). It masks a text from the node tree the engine already built
(`secrets.mask_parsed_text`) and compares the data the engine already holds
(`structure.structural_changes`), each at most once, on first use: a face that shows
no masked text (`check` in a terminal) pays nothing for it.

It crosses the worker pipe with its report: what was computed travels, the parsed
documents do not (`__getstate__`). Computed later, without them (or made from texts
alone, `ReportViews(original, migrated)`), a view parses its text: correct, and only
where the engine's documents are gone; `prepare()` computes everything a page shows
before the report leaves the worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrator.errors import InputError
from migrator.report.secrets import mask_data, mask_parsed_text, mask_yaml_text
from migrator.report.structure import TooLarge, structural_changes
from migrator.yaml.parse import parse

if TYPE_CHECKING:
    from migrator.source import Source
    from migrator.yaml.editor import Document

_UNSET: Any = object()


class ReportViews:
    """The texts of one analysis as shown (masked or not), and their structural diff."""

    def __init__(
        self,
        original: str,
        migrated: str | None,
        *,
        original_doc: Document | None = None,
        migrated_doc: Document | None = None,
        source: Source | None = None,
    ) -> None:
        """`original` as read and `migrated` as handed back (None: blocked); the engine adds the
        Documents it parsed them into and the `Source` that turned one into the other."""
        self.original = original
        self.migrated = migrated
        self._docs = (original_doc, migrated_doc, source) if original_doc is not None else None
        self._masked_original: str | None = None
        self._masked_migrated: str | None = None
        self._structure: Any = _UNSET  # list of entries, or why there are none (str)
        self._masked_docs: dict[int, str] = {}  # id of a Document -> its text masked

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_docs"] = None  # node trees are large; what was computed from them travels
        state["_masked_docs"] = {}
        return state

    # -- texts ---------------------------------------------------------------
    def original_shown(self, *, reveal: bool = False) -> str:
        """The text as read; secrets masked unless `reveal`."""
        if reveal:
            return self.original
        if self._masked_original is None:
            self._masked_original = self._mask_original()
        return self._masked_original

    def migrated_shown(self, *, reveal: bool = False) -> str | None:
        """The migrated text (None: blocked); secrets masked unless `reveal`."""
        if self.migrated is None or reveal:
            return self.migrated
        if self._masked_migrated is None:
            self._masked_migrated = self._mask_migrated()
        return self._masked_migrated

    def _mask_original(self) -> str:
        original_doc, _, _ = self._docs or (None, None, None)
        if original_doc is not None:
            text = original_doc.text
            # The text parsed is the input without its BOM and `helm get values` header (left as an
            # empty line): masking keeps lines, so the masked input is that prefix and the masked text.
            if self.original.endswith(text) and not text.startswith("\ufeff"):
                prefix = self.original[: len(self.original) - len(text)]
                return prefix + self._masked_text(original_doc)
        return mask_yaml_text(self.original)

    def _mask_migrated(self) -> str:
        assert self.migrated is not None
        if self.migrated is self.original:  # another chart's values: handed back as they came
            return self.original_shown()
        _, migrated_doc, source = self._docs or (None, None, None)
        if (
            migrated_doc is not None
            and source is not None
            and not migrated_doc.text.startswith("\ufeff")
            and source.wrap(migrated_doc.text) == self.migrated
        ):
            # Handed back with the input's BOM, without the header's empty line: masked the same way.
            return source.wrap(self._masked_text(migrated_doc))
        return mask_yaml_text(self.migrated)

    def _masked_text(self, doc: Document) -> str:
        """The document's text masked, from its node tree; once per document (the input is often
        the migrated file too: nothing to change)."""
        masked = self._masked_docs.get(id(doc))
        if masked is None:
            # The engine may have checked an edited text section by section, never building its node
            # tree: masking builds it then (only the tree: masking needs no data).
            masked = mask_parsed_text(doc.root, doc.lines) if _tree_at_hand(doc) else mask_yaml_text(doc.text)
            self._masked_docs[id(doc)] = masked
        return masked

    # -- the structural diff -------------------------------------------------
    def structure(self, *, reveal: bool = False) -> list[dict[str, Any]] | str:
        """The moved, added, dropped and changed paths (values masked unless `reveal`), or why
        there are none. A fresh list each time: the caller may keep or change it."""
        if self._structure is _UNSET:
            self._structure = self._compare()
        entries = self._structure
        if isinstance(entries, str):
            return entries
        if reveal:
            return [dict(entry) for entry in entries]
        # Masked by what each value is and where it stands (URL credentials, tokens, env entries...),
        # as everywhere else; a secret that changed still shows as changed, masked on both sides.
        shown = []
        for entry in entries:
            entry = dict(entry)
            for side in ("old", "new"):
                if side in entry:
                    entry[side] = mask_data(entry[side], entry["path"])
            shown.append(entry)
        return shown

    def _compare(self) -> list[dict[str, Any]] | str:
        try:
            old, new = self._data()
            return structural_changes(old, new)
        except (InputError, TooLarge) as exc:
            return str(exc)

    def _data(self) -> tuple[Any, Any]:
        """The data of both texts: the engine's, else parsed from the texts."""
        original_doc, migrated_doc, _ = self._docs or (None, None, None)
        if original_doc is not None and (self.migrated is None or migrated_doc is not None):
            return original_doc.data, None if self.migrated is None else migrated_doc.data
        old = parse(self.original).data
        new = parse(self.migrated).data if self.migrated is not None else None
        return old, new

    # -- all at once ---------------------------------------------------------
    def prepare(self, *, structure: bool = True) -> ReportViews:
        """Compute the masked texts (and the structural diff) now, while the engine's documents are
        at hand: before the report crosses a pipe."""
        self.original_shown()
        self.migrated_shown()
        if structure and self._structure is _UNSET:
            self._structure = self._compare()
        return self


def _tree_at_hand(doc: Document) -> bool:
    """Whether the document's node tree is built (a Document made from verified data parses on demand)."""
    return vars(doc).get("_parsed") is not None


__all__ = ["ReportViews"]
