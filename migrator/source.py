"""From what the user hands us (bytes or text) to the text we parse.

Decoding is strict: a values file that is not UTF-8 gets a message naming the
line and column of the first bad byte, never a silent replacement character.
A BOM and a `helm get values` header are taken off and remembered, so the
migrated file can be handed back with the BOM it came with.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from migrator.errors import InputError
from migrator.yaml.parse import split_lines

MAX_BYTES = 5 * 1024 * 1024
_HELM_HEADER = re.compile(r"^(USER-SUPPLIED VALUES|COMPUTED VALUES):[ \t]*(\r\n|\r|\n|$)")
_FOREIGN_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


@dataclass
class Source:
    # What we parse and edit: no BOM; a `helm get values` header line is left as an empty
    # line, so that line numbers in messages are the user's own.
    text: str
    original: str = ""  # the input as decoded, for showing what changed
    bom: bool = False
    header: str | None = None  # the `helm get values` header line that was removed
    notes: list[str] = field(default_factory=list)

    def wrap(self, text: str) -> str:
        """The text to hand back: with the BOM the input had, without the helm header (not values)."""
        if self.header is not None:
            text = text[len(split_lines(text)[0]) :] if text else text
        return ("\ufeff" if self.bom else "") + text


def read_source(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> Source:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputError(
            f"the input is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB "
            "(a values file is rarely over a few hundred KB)"
        )
    text = _decode(data) if isinstance(data, bytes) else data
    source = Source(text, original=text)
    if source.text.startswith("\ufeff"):
        source.text = source.text[1:]
        source.bom = True
        source.notes.append("The file starts with a UTF-8 byte-order mark; the migrated file keeps it.")
    match = _HELM_HEADER.match(source.text)
    if match:
        source.header = match.group(1) + ":"
        source.text = match.group(2) + source.text[match.end() :]
        source.notes.append(
            f"Removed the `{source.header}` line that `helm get values` prints: it is not part of the "
            "values. Line numbers are those of the input."
        )
    if not source.text.strip():
        raise InputError("the input is empty: paste or upload a values file")
    return source


def _decode(data: bytes) -> str:
    for bom, name in _FOREIGN_BOMS.items():
        if data.startswith(bom):
            raise InputError(f"the file is {name} text; save it as UTF-8 and try again", line=1, column=1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", "replace")) + 1
        end = data.find(b"\n", exc.start)
        snippet = data[line_start : end if end != -1 else len(data)].decode("utf-8", "replace")
        raise InputError(
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02X} cannot be decoded "
            "(save the file as UTF-8)",
            line=line,
            column=column,
            snippet=snippet.rstrip("\r"),
        ) from None
