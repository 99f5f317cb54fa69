"""The chart's own files read without loading the chart (render.default_values and the subcharts'
conditions) say what Helm's load of the whole chart says, for every shipped package."""

from __future__ import annotations

import pytest

from migrator.chart import packages, render


@pytest.mark.parametrize("version", packages.shipped_versions())
def test_own_files_read_as_helm_loads_them(version: str) -> None:
    package = packages.shipped(version)
    files = render._chart_files(package)
    assert files is not None, "every shipped package is an apiVersion v2 chart read without a load"
    values, deps = files
    chart = render.load(package)
    assert values == chart.values
    assert render.default_values(package) == chart.values
    # what the renders read of them: each subchart's name, condition and tags (Helm's load also
    # fills in an empty `repository`)
    loaded = chart.metadata.get("dependencies") or []
    assert [(d.get("name"), d.get("condition"), d.get("tags")) for d in deps] == [
        (d.get("name"), d.get("condition"), d.get("tags")) for d in loaded
    ]
