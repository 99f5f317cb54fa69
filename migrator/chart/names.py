"""The `adaptive` chart's naming rules and the Kubernetes name checks.

Pure functions, transcribed from the chart's templates/_helpers.tpl (unchanged
from 0.24 to 0.48; see CHART.md "Resource names"). The Sprig functions are
reproduced literally because their edge cases are the point: `trunc N` keeps
the first N characters and `trimSuffix "-"` removes ONE trailing dash, so a cut
that ends in "--" still leaves a name ending in "-".
"""

from __future__ import annotations

import re

from migrator.chart import facts

CHART_NAME = "adaptive"  # nameOverride exists in values but the helpers ignore it
SERVICE_ACCOUNT_COMPONENTS = ("controlplane", "harmony", "sandkasten")

# Rule names as shown to users; each check prefixes its messages with one.
DNS1035_LABEL = "DNS-1035 label"
DNS1123_LABEL = "DNS-1123 label"
DNS1123_SUBDOMAIN = "DNS-1123 subdomain"
LABEL_VALUE = "Kubernetes label value"
HELM_RELEASE_NAME = "Helm release name (DNS-1123 label of at most 53 characters)"

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
_RELEASE_MAX = 53


# -- Sprig ---------------------------------------------------------------------
def _trunc_trim(text: str, limit: int) -> str:
    """Sprig `trunc limit | trimSuffix "-"`: cut, then drop at most one trailing dash."""
    return text[:limit].removesuffix("-")


# -- resource names ------------------------------------------------------------
def fullname(release: str) -> str:
    """`adaptive.fullname`: the release alone if it already contains "adaptive"."""
    name = release if CHART_NAME in release else f"{release}-{CHART_NAME}"
    return _trunc_trim(name, 30)


def harmony_name(release: str) -> str:
    """`adaptive.harmony.fullname`: fullname + "-harmony", cut to 30 (long releases lose "-harmony")."""
    return _trunc_trim(f"{fullname(release)}-harmony", 30)


def pool_key(name: str) -> str:
    """The normalised pool name: PARTITION_KEY and the `app.kubernetes.io/pool` label."""
    return name.lower().replace(" ", "-").replace("_", "-")


def statefulset_name(release: str, pool_name: str) -> str:
    """The pool's StatefulSet (and, from 0.29, PodDisruptionBudget) name."""
    return _trunc_trim(f"{harmony_name(release)}-{pool_key(pool_name)}", 63)


def headless_service_name(release: str, pool_name: str) -> str:
    """The pool's headless Service: StatefulSet name + "-hdls", cut to 63 (may lose "-hdls")."""
    return _trunc_trim(f"{statefulset_name(release, pool_name)}-hdls", 63)


def pod_names(statefulset: str, replicas: int) -> list[str]:
    """The StatefulSet's pods, `<statefulset>-0` … `-(replicas-1)`."""
    return [f"{statefulset}-{ordinal}" for ordinal in range(max(replicas, 0))]


def dns_name(pod: str, service: str, namespace: str) -> str:
    """A pod's stable DNS name through the headless Service."""
    return f"{pod}.{service}.{namespace}.svc.cluster.local"


def master_addr(statefulset: str, service: str) -> str:
    """MASTER_ADDR: pod 0 of the pool, addressed through the headless Service."""
    return f"{statefulset}-0.{service}"


# The component part of each generated name, per values section.
COMPONENT_NAMES = {"controlPlane": "controlplane", "harmony": "harmony", "sandkasten": "sandkasten"}


def component_fullname(release: str, component: str) -> str:
    """`adaptive.<component>.fullname`: fullname + "-<component>", cut to 30."""
    return _trunc_trim(f"{fullname(release)}-{component}", 30)


def service_account_name(
    release: str,
    component: str,
    *,
    chart_version: tuple[int, int, int] | None = None,
    name: str | None = None,
) -> str:
    """The account a component's pods run as, from chart 0.30 (`<component fullname>-sa`).

    `component` is the name part (`controlplane`, `harmony`, `sandkasten`); `name` the
    `<section>.serviceAccount.name` of the values, honoured from 0.37.2 only
    (`facts.SERVICE_ACCOUNT_NAME_HONOURED`). `chart_version` None: the newest chart.
    """
    if component not in SERVICE_ACCOUNT_COMPONENTS:
        raise ValueError(f"unknown component {component!r}; expected one of {SERVICE_ACCOUNT_COMPONENTS}")
    if name and (chart_version is None or facts.SERVICE_ACCOUNT_NAME_HONOURED.holds(chart_version)):
        return name
    return _trunc_trim(f"{component_fullname(release, component)}-sa", 63)


# -- Kubernetes name checks ----------------------------------------------------
# Each check returns the rules the value breaks, one sentence each, starting
# with the rule's name; an empty list means the name is valid.

_LOWER_ALNUM_DASH = re.compile(r"^[a-z0-9-]*$")
_LABEL_VALUE_CHARS = re.compile(r"^[A-Za-z0-9._-]*$")


def _alnum_lower(ch: str) -> bool:
    return ch.isascii() and (ch.isdigit() or ch.islower())


def _label_rules(value: str, rule: str, limit: int, *, letter_first: bool) -> list[str]:
    problems: list[str] = []
    if not value:
        return [f"{rule}: must not be empty"]
    if len(value) > limit:
        problems.append(f"{rule}: must be at most {limit} characters (this one has {len(value)})")
    if not _LOWER_ALNUM_DASH.match(value):
        problems.append(f"{rule}: must contain only lowercase letters, digits and '-'")
    first = value[0]
    if letter_first and not (first.isascii() and first.islower()):
        problems.append(f"{rule}: must start with a lowercase letter")
    elif not letter_first and not _alnum_lower(first):
        problems.append(f"{rule}: must start with a lowercase letter or digit")
    if not _alnum_lower(value[-1]):
        problems.append(f"{rule}: must end with a lowercase letter or digit")
    return problems


def dns1035_label(value: str) -> list[str]:
    """Service names: ≤63, lowercase letters/digits/'-', starts with a letter, ends alphanumeric."""
    return _label_rules(value, DNS1035_LABEL, _LABEL_MAX, letter_first=True)


def dns1123_label(value: str) -> list[str]:
    """Pod names (and hostnames): ≤63, lowercase letters/digits/'-', alphanumeric at both ends."""
    return _label_rules(value, DNS1123_LABEL, _LABEL_MAX, letter_first=False)


def dns1123_subdomain(value: str) -> list[str]:
    """StatefulSet names: ≤253, dot-separated parts that are each lowercase alphanumeric at both ends."""
    rule = DNS1123_SUBDOMAIN
    if not value:
        return [f"{rule}: must not be empty"]
    problems: list[str] = []
    if len(value) > _SUBDOMAIN_MAX:
        problems.append(f"{rule}: must be at most {_SUBDOMAIN_MAX} characters (this one has {len(value)})")
    if not re.match(r"^[a-z0-9.-]*$", value):
        problems.append(f"{rule}: must contain only lowercase letters, digits, '-' and '.'")
    parts = value.split(".")
    if any(not part for part in parts):
        problems.append(f"{rule}: must not start or end with '.' or contain '..'")
    if any(part and not (_alnum_lower(part[0]) and _alnum_lower(part[-1])) for part in parts):
        problems.append(f"{rule}: must start and end with a lowercase letter or digit (also around each '.')")
    return problems


def label_value(value: str) -> list[str]:
    """Label values: may be empty; else ≤63, alphanumeric at both ends, `-_.` allowed inside."""
    rule = LABEL_VALUE
    if value == "":
        return []
    problems: list[str] = []
    if len(value) > _LABEL_MAX:
        problems.append(f"{rule}: must be at most {_LABEL_MAX} characters (this one has {len(value)})")
    if not _LABEL_VALUE_CHARS.match(value):
        problems.append(f"{rule}: must contain only letters, digits, '-', '_' and '.'")
    if not (value[0].isascii() and value[0].isalnum() and value[-1].isascii() and value[-1].isalnum()):
        problems.append(f"{rule}: must start and end with a letter or digit")
    return problems


def helm_release_name(value: str) -> list[str]:
    """Helm release names: a DNS-1123 label of at most 53 characters."""
    return _label_rules(value, HELM_RELEASE_NAME, _RELEASE_MAX, letter_first=False)
