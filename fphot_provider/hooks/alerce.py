"""Hooks for ALeRCE: Rubin/LSST forced photometry, and ZTF's alert forced photometry."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from fphot_provider.exceptions import RemoteServiceError
from fphot_provider.hooks.brokers import BrokerHook
from fphot_provider.wire import alerce as wire
from fphot_provider.wire.brokers import BrokerObject
from fphot_provider.wire.http import HttpRequest


class _AlerceHook(BrokerHook):
    """ALeRCE's paged cone answers, read the same way for both surveys."""

    what: ClassVar[str] = ""

    def _cone(
        self, build: Callable[..., HttpRequest], ra: float, dec: float, radius_arcsec: float
    ) -> list[BrokerObject]:
        found: list[BrokerObject] = []
        for page in range(1, wire.MAX_PAGES + 1):
            text = wire.check(self.run(build(self.base_url, ra, dec, radius_arcsec, page)), f"{self.what} cone")
            objects, more = wire.read_objects_page(text, f"ALeRCE {self.what} cone", ra, dec)
            found += objects
            if not more:
                return wire.unique_nearest(found)
        raise RemoteServiceError(f"ALeRCE {self.what} cone did not end within {wire.MAX_PAGES} pages")


class AlerceLsstHook(_AlerceHook):
    """Rubin/LSST forced photometry through ALeRCE (public, no credentials).

    Connection ``fphot_alerce_lsst`` (optional): host = base URL (default the public API).
    """

    conn_name_attr: ClassVar[str] = "alerce_lsst_conn_id"
    default_conn_name: ClassVar[str] = "fphot_alerce_lsst_default"
    conn_type: ClassVar[str] = "fphot_alerce_lsst"
    hook_name: ClassVar[str] = "ALeRCE (Rubin/LSST)"
    default_base_url: ClassVar[str] = wire.LSST_BASE_URL
    what: ClassVar[str] = "LSST"

    def objects_near(self, ra: float, dec: float, radius_arcsec: float) -> list[BrokerObject]:
        return self._cone(wire.lsst_cone_request, ra, dec, radius_arcsec)

    def forced_photometry(self, object_id: str) -> str:
        return wire.check(self.run(wire.lsst_fp_request(self.base_url, object_id)), "LSST forced photometry")


class AlerceZtfHook(_AlerceHook):
    """ZTF's own forced photometry attached to alerts, through ALeRCE (public, no credentials).

    Instant, but only for objects that alerted, and only the 30 days before each alert.
    Connection ``fphot_alerce_ztf`` (optional): host = base URL (default the public API).
    """

    conn_name_attr: ClassVar[str] = "alerce_ztf_conn_id"
    default_conn_name: ClassVar[str] = "fphot_alerce_ztf_default"
    conn_type: ClassVar[str] = "fphot_alerce_ztf"
    hook_name: ClassVar[str] = "ALeRCE (ZTF alert forced photometry)"
    default_base_url: ClassVar[str] = wire.ZTF_BASE_URL
    what: ClassVar[str] = "ZTF"

    def objects_near(self, ra: float, dec: float, radius_arcsec: float) -> list[BrokerObject]:
        return self._cone(wire.ztf_cone_request, ra, dec, radius_arcsec)

    def forced_photometry(self, object_id: str) -> str:
        return wire.check(self.run(wire.ztf_fp_request(self.base_url, object_id)), "ZTF forced photometry")
