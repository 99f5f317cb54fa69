"""The chart's naming rules (templates/_helpers.tpl) and the Kubernetes name checks."""

from __future__ import annotations

import pytest

from migrator.chart import names as chart

# -- resource names ------------------------------------------------------------


def test_release_containing_adaptive_is_used_as_is() -> None:
    assert chart.fullname("adaptive") == "adaptive"
    assert chart.harmony_name("adaptive") == "adaptive-harmony"
    assert chart.statefulset_name("adaptive", "default") == "adaptive-harmony-default"
    assert chart.headless_service_name("adaptive", "default") == "adaptive-harmony-default-hdls"


def test_release_without_adaptive_gets_the_chart_name_appended() -> None:
    # The guide's `<release>-harmony-<pool>` is wrong for such releases.
    assert chart.fullname("prod") == "prod-adaptive"
    assert chart.statefulset_name("prod", "training") == "prod-adaptive-harmony-training"
    assert chart.headless_service_name("prod", "training") == "prod-adaptive-harmony-training-hdls"


def test_release_with_adaptive_in_the_middle() -> None:
    assert chart.fullname("my-adaptive-release") == "my-adaptive-release"
    assert chart.statefulset_name("my-adaptive-release", "gpu") == "my-adaptive-release-harmony-gpu"


def test_long_release_loses_harmony_to_the_30_character_cuts() -> None:
    release = "my-very-long-adaptive-release-name"  # 34 characters
    assert chart.fullname(release) == "my-very-long-adaptive-release"  # cut at 30, one "-" trimmed
    assert chart.harmony_name(release) == "my-very-long-adaptive-release"  # "-harmony" entirely gone
    assert chart.statefulset_name(release, "default") == "my-very-long-adaptive-release-default"


@pytest.mark.parametrize(
    ("release", "collide"),
    [
        ("customer-prod-east1", False),  # 19 + "-adaptive" = 28: "-c", "-s", "-h", "-m" survive
        ("customer-prod-east-1", True),  # 29: "<fullname>-" cut at 30, the dash trimmed
        ("customer-production-eu-west1", True),
        ("my-adaptive-release-eu-west1", False),  # 28, contains "adaptive"
        ("my-adaptive-release-eu-west-1", True),
    ],
)
def test_long_releases_give_every_component_the_fullname(release: str, collide: bool) -> None:
    components = ("controlplane", "sandkasten", "harmony", "mlflow")
    full = {chart.component_fullname(release, c) for c in components}
    assert (full == {chart.fullname(release)}) is collide
    assert len(full) == (1 if collide else 4)


def test_long_release_without_adaptive() -> None:
    release = "customer-production-east"  # 24 chars, + "-adaptive" = 33
    assert chart.fullname(release) == "customer-production-east-adapt"
    assert chart.harmony_name(release) == "customer-production-east-adapt"


def test_trim_suffix_removes_only_one_trailing_dash() -> None:
    release = "adaptive-" + "x" * 19 + "--tail"  # characters 29 and 30 are both "-"
    full = chart.fullname(release)
    assert len(full) == 29
    assert full.endswith("x-") and not full.endswith("--")
    # fullname + "-harmony" cut at 30 ends in "--"; one dash goes, one stays.
    assert chart.harmony_name(release) == full


def test_statefulset_cut_at_63_can_end_with_a_dash() -> None:
    name = "x" * 44 + "--tail"
    sts = chart.statefulset_name("adaptive", name)
    assert sts == "adaptive-harmony-" + "x" * 44 + "-"
    assert len(sts) == 62
    assert chart.dns1123_subdomain(sts)  # invalid


def test_63_character_statefulset_leaves_no_room_for_hdls() -> None:
    name = "p" * 46
    sts = chart.statefulset_name("adaptive", name)
    assert len(sts) == 63
    svc = chart.headless_service_name("adaptive", name)
    assert svc == sts  # "-hdls" cut off entirely
    assert not svc.endswith("-hdls")
    pods = chart.pod_names(sts, 1)
    assert len(pods[0]) == 65
    assert any("at most 63" in rule for rule in chart.dns1123_label(pods[0]))


@pytest.mark.parametrize(
    ("name", "key"),
    [("GPU Pool", "gpu-pool"), ("gpu_pool", "gpu-pool"), ("default", "default"), ("A_b C", "a-b-c")],
)
def test_pool_key_normalises(name: str, key: str) -> None:
    assert chart.pool_key(name) == key


def test_two_pool_names_give_one_statefulset() -> None:
    assert chart.statefulset_name("adaptive", "GPU Pool") == chart.statefulset_name("adaptive", "gpu_pool")


def test_pods_dns_and_master_addr() -> None:
    sts = chart.statefulset_name("prod", "training")
    svc = chart.headless_service_name("prod", "training")
    assert chart.pod_names(sts, 2) == ["prod-adaptive-harmony-training-0", "prod-adaptive-harmony-training-1"]
    assert chart.pod_names(sts, 0) == []
    assert (
        chart.dns_name("prod-adaptive-harmony-training-0", svc, "ml")
        == "prod-adaptive-harmony-training-0.prod-adaptive-harmony-training-hdls.ml.svc.cluster.local"
    )
    assert (
        chart.master_addr(sts, svc) == "prod-adaptive-harmony-training-0.prod-adaptive-harmony-training-hdls"
    )


def test_service_account_names() -> None:
    # Helm: `<component fullname>-sa`, the fullname including "-adaptive" (CHART.md, verified by
    # rendering); this test used to expect the guide's `<release>-controlplane-sa`.
    assert chart.service_account_name("prod", "controlplane") == "prod-adaptive-controlplane-sa"
    assert chart.service_account_name("prod", "harmony") == "prod-adaptive-harmony-sa"
    assert chart.service_account_name("adaptive", "sandkasten") == "adaptive-sandkasten-sa"
    assert chart.service_account_name("prod", "harmony", chart_version=(0, 37, 1), name="irsa") == (
        "prod-adaptive-harmony-sa"
    )
    assert chart.service_account_name("prod", "harmony", chart_version=(0, 37, 2), name="irsa") == "irsa"
    with pytest.raises(ValueError):
        chart.service_account_name("prod", "redis")


# -- Kubernetes checks ---------------------------------------------------------


def test_valid_names_pass_every_check() -> None:
    assert chart.dns1035_label("adaptive-harmony-default-hdls") == []
    assert chart.dns1123_label("adaptive-harmony-default-0") == []
    assert chart.dns1123_subdomain("adaptive-harmony-default") == []
    assert chart.dns1123_subdomain("a.b-c.d") == []
    assert chart.label_value("gpu_pool.a-1") == []
    assert chart.label_value("") == []  # label values may be empty
    assert chart.helm_release_name("prod") == []


def test_dns1035_label_requires_a_leading_letter() -> None:
    rules = chart.dns1035_label("1-pool-hdls")
    assert rules == ["DNS-1035 label: must start with a lowercase letter"]
    assert chart.dns1123_label("1-pool-hdls") == []  # DNS-1123 labels may start with a digit


def test_dns1035_label_rejects_dots_uppercase_and_length() -> None:
    rules = chart.dns1035_label("adaptive-harmony-gpu.a100-hdls")
    assert rules == ["DNS-1035 label: must contain only lowercase letters, digits and '-'"]
    assert any("at most 63 characters (this one has 64)" in r for r in chart.dns1035_label("a" * 64))
    assert chart.dns1035_label("Pool")
    assert chart.dns1035_label("") == ["DNS-1035 label: must not be empty"]
    assert any("end with" in r for r in chart.dns1035_label("pool-"))


def test_dns1123_label_rules_are_named() -> None:
    rules = chart.dns1123_label("-Bad_")
    assert all(r.startswith("DNS-1123 label: ") for r in rules)
    assert len(rules) == 3  # characters, start, end
    assert chart.dns1123_label("a" * 63) == []


def test_dns1123_subdomain_rules() -> None:
    assert chart.dns1123_subdomain("a" * 253) == []
    assert any("at most 253" in r for r in chart.dns1123_subdomain("a" * 254))
    assert chart.dns1123_subdomain("a..b")
    assert chart.dns1123_subdomain("a-.b")
    assert chart.dns1123_subdomain("pool-")
    assert all(r.startswith("DNS-1123 subdomain: ") for r in chart.dns1123_subdomain("Pool_"))


def test_label_value_rules() -> None:
    assert chart.label_value("a" * 63) == []
    assert any("at most 63" in r for r in chart.label_value("a" * 64))
    assert chart.label_value("-pool")
    assert chart.label_value("pool.")
    assert chart.label_value("gpu/pool")
    assert all(r.startswith("Kubernetes label value: ") for r in chart.label_value("gpu pool"))


def test_helm_release_name() -> None:
    assert chart.helm_release_name("a" * 53) == []
    assert any("at most 53" in r for r in chart.helm_release_name("a" * 54))
    assert chart.helm_release_name("Prod")
    assert chart.helm_release_name("prod_release")
    assert chart.helm_release_name("")
    assert all(r.startswith("Helm release name") for r in chart.helm_release_name("-x"))
