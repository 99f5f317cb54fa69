"""The chart packages the assistant ships, and packages or chart folders a caller hands in.

The shipped packages are data (`migrator/chart/data/adaptive-<version>.tgz`, every release
from 0.17.0; see data/SOURCES.md), read with importlib.resources so that the library, the
web app and the container work offline. A caller may hand in another package (bytes of a
`.tgz`) or a chart folder for a chart we do not carry.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache

from migrator.errors import InputError
from migrator.versions import Version

CHART_NAME = "adaptive"
_PACKAGE = re.compile(r"^adaptive-(\d+\.\d+\.\d+)\.tgz$")
MAX_PACKAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ChartPackage:
    """One chart version: its `.tgz` bytes and where it came from."""

    version: str
    data: bytes = field(repr=False)
    origin: str = "shipped"  # "shipped", or the name of the file or folder the caller gave

    @property
    def parsed_version(self) -> Version:
        return Version(self.version)


def _data_dir():
    from importlib import resources  # lazily: importing it costs more than reading the data

    return resources.files("migrator.chart").joinpath("data")


# The data folder on disk, as in a checkout or an ordinary installation; when the package is not
# on disk (a zip), the data is read through importlib.resources instead.
_DATA_ON_DISK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def data_names() -> list[str]:
    """The names of the files in migrator/chart/data."""
    if os.path.isdir(_DATA_ON_DISK):
        return os.listdir(_DATA_ON_DISK)
    return [entry.name for entry in _data_dir().iterdir()]


def read_data(name: str) -> bytes:
    """The bytes of one file of migrator/chart/data."""
    if os.path.isdir(_DATA_ON_DISK):
        with open(os.path.join(_DATA_ON_DISK, name), "rb") as file:
            return file.read()
    return _data_dir().joinpath(name).read_bytes()


@cache
def shipped_versions() -> tuple[str, ...]:
    """Every packaged chart version, oldest first."""
    found = [m.group(1) for name in data_names() if (m := _PACKAGE.match(name))]
    return tuple(sorted(found, key=lambda v: Version(v)))


def newest_version() -> str:
    return shipped_versions()[-1]


@cache
def shipped(version: str) -> ChartPackage:
    """The shipped package of exactly `version`; InputError naming the known versions otherwise."""
    if version not in shipped_versions():
        raise InputError(
            f"chart version {version} is not one the assistant carries; known: "
            f"{', '.join(shipped_versions())} (or hand in the package with --chart)"
        )
    data = read_data(f"adaptive-{version}.tgz")
    return ChartPackage(version, data)


def resolve_version(text: str | None, *, default: str | None = None) -> str:
    """A packaged version from what a user typed: `0.48.2`, `v0.48.2`, `0.48` (its newest patch)."""
    if text in (None, "", "latest"):
        return default or newest_version()
    try:
        wanted = Version(text)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    exact = [v for v in shipped_versions() if Version(v) == wanted]
    if exact:
        return exact[0]
    line = [v for v in shipped_versions() if Version(v).parts[:2] == wanted.parts[:2]]
    if line and wanted.parts[2] >= 10**6:  # "0.48" or "0.48.x": the newest 0.48
        return line[-1]
    raise InputError(
        f"chart version {text} is not one the assistant carries; known: {', '.join(shipped_versions())} "
        "(or hand in the package with --chart)"
    )


def versions_between(low: str | None, high: str | None) -> list[str]:
    """Packaged versions v with low <= v < high (either bound open when None)."""
    lo = Version(low) if low else None
    hi = Version(high) if high else None
    return [
        v for v in shipped_versions() if (lo is None or Version(v) >= lo) and (hi is None or Version(v) < hi)
    ]


def package_from_bytes(data: bytes, origin: str) -> ChartPackage:
    """A caller's chart package (`.tgz` bytes): checked to be the `adaptive` chart, its version read."""
    import io
    import tarfile

    if len(data) > MAX_PACKAGE_BYTES:
        raise InputError(f"{origin}: the chart package is over {MAX_PACKAGE_BYTES // 2**20} MiB")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")
                ),
                None,
            )
            if member is None:
                raise InputError(f"{origin}: not a Helm chart package (no <chart>/Chart.yaml inside)")
            extracted = archive.extractfile(member)
            chart_yaml = extracted.read(256 * 1024).decode("utf-8", "replace") if extracted else ""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"{origin}: not a readable chart package (.tgz): {exc}") from None
    name, version = _chart_yaml_fields(chart_yaml)
    if name != CHART_NAME:
        raise InputError(f"{origin}: this is the chart `{name or '?'}`, not `{CHART_NAME}`")
    try:
        Version(version)
    except ValueError:
        raise InputError(f"{origin}: its Chart.yaml has no usable version ({version!r})") from None
    return ChartPackage(version, data, origin)


def package_from_folder(path: str) -> ChartPackage:
    """A chart folder (holding Chart.yaml), packed in memory the way `helm package` lays it out."""
    import io
    import tarfile

    chart_yaml = os.path.join(path, "Chart.yaml")
    if not os.path.isfile(chart_yaml):
        raise InputError(f"{path}: not a chart folder (no Chart.yaml)")
    buffer = io.BytesIO()
    top = os.path.basename(os.path.normpath(path)) or CHART_NAME
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(path, arcname=top, filter=lambda info: None if info.issym() else info)
    return package_from_bytes(buffer.getvalue(), path)


def _chart_yaml_fields(text: str) -> tuple[str, str]:
    name = version = ""
    for line in text.splitlines():
        match = re.match(r"^(name|version):\s*['\"]?([^'\"#\s]+)", line)
        if match:
            if match.group(1) == "name":
                name = match.group(2)
            else:
                version = match.group(2)
    return name, version
