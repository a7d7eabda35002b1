"""Hook for the ZTF Forced Photometry Service (IRSA/IPAC)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from fphot_provider.exceptions import LoginError
from fphot_provider.hooks.base import FphotHttpHook
from fphot_provider.storage import _airflow_setting
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import ztf as wire

# The status page refreshes about hourly (IRSA's example); SkyPortal waits 120 s between reads.
MIN_POLL_SECONDS = 120.0


def polite_poll_interval(seconds: float) -> float:
    """Never read a ZTF status page more often than ``[fphot] ztf_min_poll_seconds`` (default 120).

    Only an emulator on loopback deserves less: the demo and the tests lower the setting.
    """
    configured = _airflow_setting("ztf_min_poll_seconds").strip()
    return max(float(seconds), float(configured) if configured else MIN_POLL_SECONDS, 0.1)


class ZtfHook(FphotHttpHook):
    """Talk to the ZTF Forced Photometry Service.

    Connection ``fphot_ztf``: host = base URL (default ``https://ztfweb.ipac.caltech.edu``),
    login = the e-mail registered with the service, password = its ``userpass``; extras
    ``service_user`` / ``service_password`` override the published basic-auth pair.

    :param ztf_conn_id: the Connection id (default ``fphot_ztf_default``).
    """

    conn_name_attr: ClassVar[str] = "ztf_conn_id"
    default_conn_name: ClassVar[str] = "fphot_ztf_default"
    conn_type: ClassVar[str] = "fphot_ztf"
    hook_name: ClassVar[str] = "ZTF Forced Photometry Service (IRSA)"
    default_base_url: ClassVar[str] = wire.DEFAULT_BASE_URL

    def __init__(self, ztf_conn_id: str | None = None, **kwargs) -> None:
        super().__init__(ztf_conn_id, **kwargs)

    def throttle_wait(self, response) -> float:  # noqa: ANN001 - HttpResponse
        return wire.BUSY_WAIT

    @property
    def credentials(self) -> wire.ZtfCredentials:
        """The user's e-mail and userpass, plus the service's basic-auth pair."""
        conn = self.get_conn()
        if not conn.login or not conn.password:
            raise LoginError(f"Connection {self.conn_id!r} needs login (e-mail) and password (userpass)")
        extras = self.extras
        return wire.ZtfCredentials(
            email=conn.login,
            userpass=conn.password,
            http_user=extras.get("service_user") or wire.SERVICE_AUTH[0],
            http_password=extras.get("service_password") or wire.SERVICE_AUTH[1],
        )

    def submit(self, target: Target, window: QueryWindow) -> dict[str, float]:
        """Ask for one position's light curve; return what the service echoed (no id is given)."""
        request = wire.submit_request(self.base_url, self.credentials, target, window)
        return wire.read_submission(self.run(request))

    def submit_batch(self, targets: Sequence[Target], window: QueryWindow) -> None:
        """Ask for up to 1500 positions in one batch request."""
        wire.check_submission(self.run(wire.batch_submit_request(self.base_url, self.credentials, targets, window)))

    def get_requests(self, *, batch: bool = False, pending_only: bool = False) -> list[wire.ZtfRequest]:
        """Read a status table (the last 30 days): single requests, or with ``batch`` the batch ones.

        The service lists each kind on its own page only.
        """
        request = wire.status_request(self.base_url, self.credentials, batch=batch, pending_only=pending_only)
        return wire.read_status(self.run(request))

    async def a_get_requests(self, *, batch: bool = False, pending_only: bool = False) -> list[wire.ZtfRequest]:
        """Async twin of :meth:`get_requests`, for the trigger."""
        await self.a_get_conn()
        request = wire.status_request(self.base_url, self.credentials, batch=batch, pending_only=pending_only)
        response = await self.a_run(request)
        # The batch page lists every position (thousands of rows): read it off the event loop,
        # which every other trigger of the triggerer shares.
        return await asyncio.to_thread(wire.read_status, response)

    def download_lightcurve(self, path: str) -> str:
        """Return the text of a finished request's light-curve file."""
        response = self.run(wire.lightcurve_request(self.base_url, self.credentials, path))
        return wire.check_page(response, "light-curve download")

    def test_connection(self) -> tuple[bool, str]:
        """Read the status table: it checks the basic auth and the user's credentials."""
        try:
            rows = self.get_requests()
        except Exception as err:  # noqa: BLE001 - the UI wants a message
            return False, str(err)
        return True, f"ZTF service at {self.base_url} answered ({len(rows)} recent requests)"
