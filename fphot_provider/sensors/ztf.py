"""Wait on a ZTF request submitted elsewhere, reusing :class:`ZtfJobTrigger`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from fphot_provider.exceptions import JobFailedError
from fphot_provider.hooks.ztf import ZtfHook, polite_poll_interval
from fphot_provider.sensors.base import RemoteJobSensor
from fphot_provider.triggers.ztf import ZtfJobTrigger
from fphot_provider.wire import ztf as wire


class ZtfJobSensor(RemoteJobSensor):
    """Succeed when the ZTF request (by id, or by position and JD window) has finished.

    Returns the status-table row; a failing exit code fails the sensor.

    :param ra: RA as submitted (degrees).
    :param dec: Dec as submitted.
    :param jd_start: JD start as submitted.
    :param jd_end: JD end as submitted.
    :param req_id: the request id, when known.
    :param batch: the request went through the batch service (listed on its own status page).
    """

    template_fields = ("ra", "dec", "jd_start", "jd_end", "req_id")

    def __init__(
        self,
        *,
        ra: float,
        dec: float,
        jd_start: float,
        jd_end: float,
        req_id: int | None = None,
        batch: bool = False,
        ztf_conn_id: str = ZtfHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 300.0)
        kwargs.setdefault("timeout", timedelta(hours=24).total_seconds())
        kwargs.setdefault("max_poll_interval", 1800.0)
        super().__init__(**kwargs)
        self.ra, self.dec, self.jd_start, self.jd_end, self.req_id = ra, dec, jd_start, jd_end, req_id
        self.batch = batch
        self.ztf_conn_id = ztf_conn_id

    def _where(self) -> dict[str, Any]:
        return {
            "ra": wire.round6(self.ra),
            "dec": wire.round6(self.dec),
            "jd_start": wire.round6(self.jd_start),
            "jd_end": wire.round6(self.jd_end),
            "req_id": int(self.req_id) if self.req_id else None,
        }

    def trigger(self) -> ZtfJobTrigger:
        timing = self.trigger_timing()
        timing["poll_interval"] = polite_poll_interval(timing["poll_interval"])  # the page is slow
        timing["max_poll_interval"] = max(timing["max_poll_interval"], timing["poll_interval"])
        return ZtfJobTrigger(**self._where(), batch=self.batch, ztf_conn_id=self.ztf_conn_id, **timing)

    def check(self, payload: dict[str, Any]) -> dict[str, Any]:
        row = wire.ZtfRequest(**payload["request"])
        if row.is_failed:
            raise JobFailedError(f"ZTF request {row.req_id} failed ({row.describe_exit()})")
        return payload["request"]

    def state(self) -> dict[str, Any] | None:
        where = self._where()
        rows = ZtfHook(self.ztf_conn_id).get_requests(batch=self.batch)
        row = wire.match_request(
            rows, where["ra"], where["dec"], where["jd_start"], where["jd_end"], req_id=where["req_id"]
        )
        return {"request": asdict(row)} if row is not None and row.is_terminal else None
