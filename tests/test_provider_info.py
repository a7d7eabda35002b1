"""Provider metadata as Airflow's ProvidersManager reads it (the conventions of the ASF providers)."""

from __future__ import annotations

import importlib

from fphot_provider.get_provider_info import get_provider_info


def test_provider_info_lists_every_module_and_no_deprecated_keys() -> None:
    info = get_provider_info()
    assert "hook-class-names" not in info and info["package-name"] == "fphot-provider"
    names = {integration["integration-name"] for integration in info["integrations"]}
    for kind in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[kind]:
            assert entry["integration-name"] in names
            for module in entry["python-modules"]:
                importlib.import_module(module)
    modules = {m for entry in info["operators"] for m in entry["python-modules"]}
    assert {"fphot_provider.operators.ztf", "fphot_provider.operators.atlas_batch"} <= modules
    for path in [*info["extra-links"], *(c["hook-class-name"] for c in info["connection-types"])]:
        module, _, attr = path.rpartition(".")
        assert getattr(importlib.import_module(module), attr)


def test_config_documents_the_politeness_floor() -> None:
    options = get_provider_info()["config"]["fphot"]["options"]
    assert options["ztf_min_poll_seconds"]["default"] == "120"
