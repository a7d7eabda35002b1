"""Hook for Fink's LSST API: objects near a position, and their forced photometry."""

from __future__ import annotations

from typing import ClassVar

from fphot_provider.hooks.brokers import BrokerHook
from fphot_provider.wire import fink as wire
from fphot_provider.wire.brokers import BrokerObject


class FinkLsstHook(BrokerHook):
    """Rubin/LSST forced photometry through the Fink broker (public, no credentials).

    Connection ``fphot_fink_lsst`` (optional): host = base URL (default the public API).

    :param fink_lsst_conn_id: the Connection id (default ``fphot_fink_lsst_default``).
    """

    conn_name_attr: ClassVar[str] = "fink_lsst_conn_id"
    default_conn_name: ClassVar[str] = "fphot_fink_lsst_default"
    conn_type: ClassVar[str] = "fphot_fink_lsst"
    hook_name: ClassVar[str] = "Fink (Rubin/LSST)"
    default_base_url: ClassVar[str] = wire.DEFAULT_BASE_URL

    def objects_near(self, ra: float, dec: float, radius_arcsec: float) -> list[BrokerObject]:
        text = wire.check(self.run(wire.cone_request(self.base_url, ra, dec, radius_arcsec)), "conesearch")
        return wire.read_cone(text, ra, dec)

    def forced_photometry(self, object_id: str) -> str:
        return wire.check(self.run(wire.fp_request(self.base_url, [object_id])), "forced photometry")
