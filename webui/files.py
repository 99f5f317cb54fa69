"""Files in and out of the web app: upload names, zip archives, download names.

Pure functions (no Streamlit), tested in tests/test_app.py. Nothing here knows
about migrations: the engine (`migrator`) does all of that.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the app's cap per file, as in .streamlit/config.toml
MAX_ZIP_MEMBERS = 200
MAX_ZIP_TOTAL_BYTES = 50 * 1024 * 1024  # uncompressed, across all members
VALUES_SUFFIXES = (".yaml", ".yml", ".json", ".txt")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class InputFile:
    """One file to analyse: its display name, and either its bytes or why it cannot be read."""

    name: str
    data: bytes | None = None
    error: str | None = None


def too_big_message(size: int) -> str:
    return (
        f"The file is {size / (1024 * 1024):.1f} MB; the assistant reads values files of at most "
        f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB. A values file is usually a few kilobytes: "
        "check that this is the right file."
    )


def safe_stem(name: str, default: str = "values") -> str:
    """A file-name stem safe for a download (Content-Disposition) from any user-given name."""
    base = posixpath.basename(name.replace("\\", "/"))
    for suffix in (*VALUES_SUFFIXES, ".zip"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    stem = _UNSAFE.sub("_", base).strip("._-")
    return stem[:80] or default


def migrated_name(name: str) -> str:
    """`values.yaml` -> `values.migrated.yaml`; `prod.yml` -> `prod.migrated.yml`; others get `.yaml`."""
    ext = ".yml" if name.lower().endswith(".yml") else ".yaml"
    return f"{safe_stem(name)}.migrated{ext}"


def redacted_name(name: str) -> str:
    ext = ".yml" if name.lower().endswith(".yml") else ".yaml"
    return f"{safe_stem(name)}.migrated.redacted{ext}"


def report_name(name: str, ext: str) -> str:
    return f"{safe_stem(name)}.report.{ext}"


def expand_uploads(files: list[tuple[str, bytes]]) -> list[InputFile]:
    """Turn uploaded (name, bytes) pairs into the files to analyse, opening `.zip` archives.

    A zip contributes its values files (by suffix; directories, hidden files and
    macOS resource forks are skipped), each under its path inside the archive.
    Limits guard against zip bombs: members, bytes per member, total bytes. A
    bad archive or an oversized member becomes one entry with an error, so the
    other files still get analysed.
    """
    out: list[InputFile] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            out.extend(_open_zip(name, data))
        elif len(data) > MAX_UPLOAD_BYTES:
            out.append(InputFile(name, error=too_big_message(len(data))))
        else:
            out.append(InputFile(name, data))
    return _unique_names(out)


def _open_zip(name: str, data: bytes) -> list[InputFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [InputFile(name, error=f"This is not a readable zip archive ({exc}).")]
    out: list[InputFile] = []
    total = 0
    members = [
        i
        for i in infos
        if not i.is_dir()
        and not posixpath.basename(i.filename).startswith(".")
        and "__MACOSX/" not in i.filename
        and i.filename.lower().endswith(VALUES_SUFFIXES)
    ]
    if not members:
        return [InputFile(name, error="The archive holds no .yaml, .yml, .json or .txt file.")]
    if len(members) > MAX_ZIP_MEMBERS:
        return [
            InputFile(name, error=f"The archive holds {len(members)} files; the limit is {MAX_ZIP_MEMBERS}.")
        ]
    for info in members:
        label = f"{name}/{info.filename}"
        if info.file_size > MAX_UPLOAD_BYTES:
            out.append(InputFile(label, error=too_big_message(info.file_size)))
            continue
        if total + info.file_size > MAX_ZIP_TOTAL_BYTES:
            out.append(InputFile(label, error="The archive's files add up to more than 50 MB; skipped."))
            continue
        try:
            with archive.open(info) as fh:
                content = fh.read(MAX_UPLOAD_BYTES + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
            out.append(InputFile(label, error=f"Cannot extract this file from the archive ({exc})."))
            continue
        if len(content) > MAX_UPLOAD_BYTES:
            out.append(InputFile(label, error=too_big_message(len(content))))
            continue
        total += len(content)
        out.append(InputFile(label, content))
    return out


def _unique_names(files: list[InputFile]) -> list[InputFile]:
    seen: dict[str, int] = {}
    out = []
    for f in files:
        n = seen.get(f.name, 0)
        seen[f.name] = n + 1
        out.append(f if n == 0 else InputFile(f"{f.name} ({n + 1})", f.data, f.error))
    return out


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip archive of (name, content) pairs; names made unique and safe."""
    buf = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            candidate, n = name, 1
            while candidate in used:
                n += 1
                stem, dot, ext = name.rpartition(".")
                candidate = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
            used.add(candidate)
            zf.writestr(candidate, content)
    return buf.getvalue()
