"""Wait for a ZTF forced-photometry request in the triggerer, gently (the status page is slow)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.triggers.base import PollingJobTrigger
from fphot_provider.wire import ztf as wire


class ZtfJobTrigger(PollingJobTrigger):
    """Fire once our request has an exit code in the ZTF status table.

    The service returns no request id on submission, so the request is found by ``req_id``
    when known, else by position and JD window (as submitted, rounded to 6 decimals), skipping
    ``exclude`` (identical requests that existed before ours). No secret is in the kwargs:
    only the Connection id.

    :param ra: submitted RA (degrees, 6 decimals).
    :param dec: submitted Dec.
    :param jd_start: submitted JD start.
    :param jd_end: submitted JD end.
    :param batch: a batch-service request, listed on the batch status page (else the single page).
    """

    def __init__(
        self,
        *,
        ra: float,
        dec: float,
        jd_start: float,
        jd_end: float,
        req_id: int | None = None,
        exclude: list[int] | None = None,
        batch: bool = False,
        ztf_conn_id: str = ZtfHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poll_interval", 300.0)
        kwargs.setdefault("max_poll_interval", 1800.0)
        super().__init__(**kwargs)
        self.ra, self.dec, self.jd_start, self.jd_end = ra, dec, jd_start, jd_end
        self.req_id = req_id
        self.exclude = list(exclude or [])
        self.batch = bool(batch)
        self.ztf_conn_id = ztf_conn_id
        self._hook: ZtfHook | None = None

    def job_fields(self) -> dict[str, Any]:
        return {
            "ra": self.ra,
            "dec": self.dec,
            "jd_start": self.jd_start,
            "jd_end": self.jd_end,
            "req_id": self.req_id,
            "exclude": self.exclude,
            "batch": self.batch,
            "ztf_conn_id": self.ztf_conn_id,
        }

    async def poll(self) -> dict[str, Any] | None:
        if self._hook is None:
            self._hook = ZtfHook(self.ztf_conn_id)
        rows = await self._hook.a_get_requests(batch=self.batch)
        row = wire.match_request(
            rows, self.ra, self.dec, self.jd_start, self.jd_end, req_id=self.req_id, exclude=self.exclude
        )
        if row is None:
            self.log.info("ZTF request not listed yet (the status page refreshes slowly)")
            return None
        self.req_id = row.req_id  # found once: follow it by id from now on
        return {"request": asdict(row)} if row.is_terminal else None


class ZtfBatchJobTrigger(PollingJobTrigger):
    """Fire once every position of a batch request has finished on the batch status page.

    :param positions: ``[[ra, dec], ...]`` as submitted (6 decimals), in the batch's order.
    :param jd_start: the batch's JD start (one window for the whole batch).
    :param jd_end: the batch's JD end.
    :param after_id: the newest request id listed before the submission (older rows are not ours).
    """

    def __init__(
        self,
        *,
        positions: list[list[float]],
        jd_start: float,
        jd_end: float,
        after_id: int = 0,
        ztf_conn_id: str = ZtfHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poll_interval", 300.0)
        kwargs.setdefault("max_poll_interval", 1800.0)
        super().__init__(**kwargs)
        self.positions = [list(p) for p in positions]
        self.jd_start, self.jd_end = jd_start, jd_end
        self.after_id = int(after_id)
        self.ztf_conn_id = ztf_conn_id
        self._hook: ZtfHook | None = None

    def job_fields(self) -> dict[str, Any]:
        return {
            "positions": self.positions,
            "jd_start": self.jd_start,
            "jd_end": self.jd_end,
            "after_id": self.after_id,
            "ztf_conn_id": self.ztf_conn_id,
        }

    async def poll(self) -> dict[str, Any] | None:
        if self._hook is None:
            self._hook = ZtfHook(self.ztf_conn_id)
        rows = await self._hook.a_get_requests(batch=True)
        found = wire.match_batch(rows, self.positions, self.jd_start, self.jd_end, after_id=self.after_id)
        if not all(row is not None and row.is_terminal for row in found):
            listed = sum(row is not None for row in found)
            self.log.info("ZTF batch: %d of %d positions listed, not all finished", listed, len(found))
            return None
        return {"requests": [asdict(row) for row in found]}
