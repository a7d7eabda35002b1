"""What the alert brokers' hooks share: public services, found by position, one object at a time.

Fink and ALeRCE need no credentials (``connection_optional``): without a Connection the default
one means the public service (a Connection is only needed to point elsewhere, e.g. at an
emulator, or to change timeouts). A Connection id that is not the default and does not exist
still fails at once.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from fphot_provider.hooks.base import FphotHttpHook

if TYPE_CHECKING:
    from fphot_provider.wire.brokers import BrokerObject


class BrokerHook(FphotHttpHook):
    """Base of the broker hooks: :meth:`objects_near`, then :meth:`forced_photometry` per object."""

    connection_optional: ClassVar[bool] = True

    @abstractmethod
    def objects_near(self, ra: float, dec: float, radius_arcsec: float) -> list[BrokerObject]:
        """The broker's objects within ``radius_arcsec`` of (ra, dec), nearest first."""

    @abstractmethod
    def forced_photometry(self, object_id: str) -> str:
        """One object's forced photometry: the raw JSON text of the service's answer."""

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.objects_near(0.0, 0.0, 1.0)
        except Exception as err:  # noqa: BLE001 - reported to the UI, not raised
            return False, str(err)
        return True, f"{self.hook_name} answered at {self.base_url}"
