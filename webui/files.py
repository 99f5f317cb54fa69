"""Files in and out of the web app: limits, upload names, zip archives, download names.

Pure functions (no Streamlit), tested in tests/test_app.py. Nothing here knows
about migrations: the engine (`migrator`) does all of that.

The limits, in one place (the README's "Limits" says the same):

- a values file: the engine's own limit, `migrator.source.MAX_BYTES` (5 MiB). The
  uploaders accept up to `UPLOADER_MB` (10 MB, Streamlit counts 10^6 bytes) so that a
  file just over 5 MiB reaches the app and gets a message naming the limit, instead of
  the uploader's small red icon;
- one upload (the files one uploader holds, zip members counted unpacked):
  `REQUEST_MAX_BYTES` (25 MiB); over it, nothing is analysed and the page says why;
- one browser session (every uploader of the session together): `SESSION_MAX_BYTES`
  (50 MiB);
- a zip: `MAX_ZIP_MEMBERS` values files; archives inside it are not opened (listed as
  skipped, with the reason).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from migrator.source import MAX_BYTES

MIB = 1024 * 1024
MAX_VALUES_BYTES = MAX_BYTES  # the engine's limit for one values file
UPLOADER_MB = 10  # what Streamlit's uploaders (and server.maxUploadSize) accept per file
REQUEST_MAX_BYTES = 25 * MIB
SESSION_MAX_BYTES = 50 * MIB
MAX_ZIP_MEMBERS = 200
VALUES_SUFFIXES = (".yaml", ".yml", ".json", ".txt")
ARCHIVE_SUFFIXES = (".zip", ".tgz", ".tar", ".gz", ".tar.gz", ".bz2", ".xz", ".7z", ".rar", ".jar")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class InputFile:
    """One file to analyse: its display name, and either its bytes or why it cannot be read."""

    name: str
    data: bytes | None = None
    error: str | None = None


@dataclass(frozen=True)
class Skipped:
    """Something in an upload that is not analysed, and why."""

    name: str
    reason: str


@dataclass
class Expanded:
    """What a set of uploads comes to: the files to analyse, what was skipped, the bytes counted."""

    files: list[InputFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    total_bytes: int = 0  # the uploads' bytes, zip members counted unpacked
    refused: str | None = None  # set when the whole upload is over REQUEST_MAX_BYTES


def mib(size: int) -> str:
    """A size in MiB, as the limits are said: `5.4 MiB`."""
    return f"{size / MIB:.1f} MiB"


def too_big_message(size: int) -> str:
    return (
        f"The file is {mib(size)} ({size:,} bytes); the assistant reads values files of at most "
        f"{MAX_VALUES_BYTES // MIB} MiB ({MAX_VALUES_BYTES:,} bytes). A values file is usually a few "
        "kilobytes: check that this is the right file."
    )


def request_too_big_message(size: int) -> str:
    return (
        f"These uploads add up to {mib(size)} (zip archives counted unpacked); one upload may hold at "
        f"most {REQUEST_MAX_BYTES // MIB} MiB. Nothing was analysed: split them into smaller batches."
    )


def session_too_big_message(size: int) -> str:
    return (
        f"This browser session holds {mib(size)} of uploads; a session may hold at most "
        f"{SESSION_MAX_BYTES // MIB} MiB. Remove files you no longer need (the × beside each file) "
        "and try again."
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


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def expand_uploads(files: list[tuple[str, bytes]]) -> Expanded:
    """Turn uploaded (name, bytes) pairs into the files to analyse, opening `.zip` archives.

    A zip contributes its values files (by suffix), each under its path inside the
    archive; archives inside it, other files, hidden files and macOS resource forks are
    listed as skipped, with the reason. Limits guard against zip bombs: members, bytes
    per member (read, never trusted from the header), and the upload's total. A bad
    archive or an oversized member becomes one entry with an error, so the other files
    still get analysed. Over `REQUEST_MAX_BYTES` in total, nothing is analysed.
    """
    out = Expanded()
    for name, data in files:
        if name.lower().endswith(".zip"):
            out.total_bytes += _open_zip(name, data, out, REQUEST_MAX_BYTES - out.total_bytes)
        else:
            out.total_bytes += len(data)
            if len(data) > MAX_VALUES_BYTES:
                out.files.append(InputFile(name, error=too_big_message(len(data))))
            else:
                out.files.append(InputFile(name, data))
        if out.total_bytes > REQUEST_MAX_BYTES:
            out.refused = request_too_big_message(out.total_bytes)
            out.files = []
            return out
    out.files = _unique_names(out.files)
    return out


def _open_zip(name: str, data: bytes, out: Expanded, budget: int) -> int:
    """Add the archive's values files to `out`; the bytes it counts for (unpacked).

    Stops reading as soon as the members read exceed `budget` (what is left of the upload's).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        out.files.append(InputFile(name, error=f"This is not a readable zip archive ({exc})."))
        return len(data)
    members = []
    for info in infos:
        if info.is_dir():
            continue
        label = f"{name}/{info.filename}"
        base = posixpath.basename(info.filename)
        if "__MACOSX/" in info.filename or base.startswith("."):
            out.skipped.append(Skipped(label, "a hidden file or macOS metadata"))
        elif _is_archive(base):
            out.skipped.append(
                Skipped(label, "an archive inside an archive: not opened; upload it on its own")
            )
        elif not base.lower().endswith(VALUES_SUFFIXES):
            out.skipped.append(Skipped(label, "not a values file (.yaml, .yml, .json or .txt)"))
        else:
            members.append((label, info))
    if not members:
        out.files.append(InputFile(name, error="The archive holds no .yaml, .yml, .json or .txt file."))
        return len(data)
    if len(members) > MAX_ZIP_MEMBERS:
        out.files.append(
            InputFile(name, error=f"The archive holds {len(members)} files; the limit is {MAX_ZIP_MEMBERS}.")
        )
        return len(data)
    total = 0
    for label, info in members:
        if info.file_size > MAX_VALUES_BYTES:
            out.files.append(InputFile(label, error=too_big_message(info.file_size)))
            total += info.file_size
            continue
        if total + info.file_size > budget:
            return total + info.file_size  # the caller refuses the whole upload
        try:
            with archive.open(info) as fh:
                content = fh.read(MAX_VALUES_BYTES + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
            out.files.append(InputFile(label, error=f"Cannot extract this file from the archive ({exc})."))
            continue
        total += len(content)
        if total > budget:
            return total  # the declared sizes lied: the caller refuses the whole upload
        if len(content) > MAX_VALUES_BYTES:
            out.files.append(InputFile(label, error=too_big_message(len(content))))
            continue
        out.files.append(InputFile(label, content))
    return total


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
