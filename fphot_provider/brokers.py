"""The alert brokers' services: the one place a broker service is registered.

Each entry names the service (the ``service`` column, the DAG's choice), its hook (loaded
lazily, ``module:Class``) and its data product type (the parser registry's key). Operators,
the DAGs and the monitor read this table; adding a broker is one entry here plus its hook,
parser and emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fphot_provider.exceptions import InvalidQueryError
from fphot_provider.loading import load_object


@dataclass(frozen=True)
class Broker:
    """A broker service: where its objects and forced photometry come from."""

    service: str
    title: str
    hook: str
    data_product_type: str

    def make_hook(self, conn_id: str | None = None) -> Any:
        return load_object(self.hook, f"hook of {self.service}")(conn_id)


BROKERS: dict[str, Broker] = {
    b.service: b
    for b in (
        Broker("fink_lsst", "Fink (Rubin/LSST)", "fphot_provider.hooks.fink:FinkLsstHook", "fink_lsst_photometry"),
        Broker(
            "alerce_lsst", "ALeRCE (Rubin/LSST)", "fphot_provider.hooks.alerce:AlerceLsstHook", "alerce_lsst_photometry"
        ),
        Broker(
            "alerce_ztf",
            "ALeRCE (ZTF alert forced photometry)",
            "fphot_provider.hooks.alerce:AlerceZtfHook",
            "alerce_ztf_photometry",
        ),
    )
}


def broker(service: str) -> Broker:
    """The registered broker ``service``; an InvalidQueryError naming the known ones otherwise."""
    if service not in BROKERS:
        raise InvalidQueryError("service", f"must be one of {sorted(BROKERS)}, got {service!r}")
    return BROKERS[service]
