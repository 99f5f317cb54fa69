"""The controls the pages share: release, namespace, target version, opt-in rewrites, the
secrets toggle, and the version the release runs now. Per session: Streamlit keeps their state."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

import migrator
from migrator.chart.packages import newest_version, shipped_versions
from webui.cluster import chosen_source

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def catalogue_cached() -> list[Any]:
    """The registry of breaking changes (no user data: safe to share across sessions)."""
    return list(migrator.catalogue())


def catalogue_by_id() -> dict[str, Any]:
    return {c.id: c for c in catalogue_cached()}


def options_controls(prefix: str, *, chart_version: str | None = None) -> tuple[dict[str, Any], Any]:
    """Release name, namespace and target version: the analyze() options, and a container.

    The container sits right below the two name fields, for their checks: it is filled once
    the analysis is known, so that a bad name is said where it is typed, before anything else.
    With `chart_version` (a package of the user's own) the target is that package.
    """
    targets = list(shipped_versions())
    c1, c2, c3 = st.columns(3)
    release = c1.text_input(
        "Release name", value="adaptive", key=f"{prefix}_release", help="The Helm release name (`helm list`)."
    )
    namespace = c2.text_input("Namespace", value="default", key=f"{prefix}_namespace")
    target = c3.selectbox(
        "Target chart version",
        targets,
        index=len(targets) - 1,
        key=f"{prefix}_target",
        format_func=lambda v: f"{v} (newest)" if v == newest_version() else v,
        disabled=chart_version is not None,
        help=f"Your own chart package ({chart_version}) is the target."
        if chart_version
        else "The chart version to upgrade to; every version the assistant carries.",
    )
    names_slot = st.container(key=f"{prefix}_names")
    offered = opt_in_rewrites()
    chosen = st.multiselect(
        "Opt-in rewrites (off unless you choose them)",
        list(offered),
        key=f"{prefix}_opts",
        format_func=lambda name: f"{name}: {offered[name]}",
        help="Rewrites a breaking change offers but never applies by itself; the report says when "
        "your file would use one.",
    )
    options = {
        "release": release.strip() or "adaptive",
        "namespace": namespace.strip() or "default",
        "target": None if chart_version else target,
        "options": tuple(sorted(chosen)),
    }
    return options, names_slot


def opt_in_rewrites() -> dict[str, str]:
    """Each opt-in rewrite the registry offers, with the title of the change that offers it."""
    return {name: f"{c.version} {c.title}" for c in catalogue_cached() for name in c.options}


def secrets_toggle(key: str = "reveal_secrets") -> bool:
    return st.toggle(
        "Show secrets",
        key=key,
        value=False,
        help="Passwords, tokens, keys and everything under `secrets:` are masked on screen. "
        "Turn this on to see them in this browser session only. Downloads of the report and the "
        "redacted copy stay masked.",
    )


def source_for(from_key: str) -> str | None:
    """The "version the release runs now" chosen for this input (None: the engine's default)."""
    return chosen_source(from_key)
