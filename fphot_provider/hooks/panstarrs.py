"""Hook for PanSTARRS DR2 through the MAST Catalogs API (synchronous, paged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pandas as pd

from fphot_provider.exceptions import RemoteServiceError
from fphot_provider.hooks.base import FphotHttpHook
from fphot_provider.wire import panstarrs as wire
from fphot_provider.wire.http import HttpResponse, retry_after_seconds

MAX_PAGES = 1000


class PanstarrsHook(FphotHttpHook):
    """Query PanSTARRS DR2 tables on MAST.

    Connection ``fphot_panstarrs``: host = base URL (default the MAST PanSTARRS API);
    password = an optional MAST token (public data needs none).

    :param panstarrs_conn_id: the Connection id (default ``fphot_panstarrs_default``).
    """

    conn_name_attr: ClassVar[str] = "panstarrs_conn_id"
    default_conn_name: ClassVar[str] = "fphot_panstarrs_default"
    conn_type: ClassVar[str] = "fphot_panstarrs"
    hook_name: ClassVar[str] = "PanSTARRS DR2 (MAST Catalogs)"
    default_base_url: ClassVar[str] = wire.DEFAULT_BASE_URL

    def __init__(
        self, panstarrs_conn_id: str | None = None, *, page_size: int = wire.DEFAULT_PAGE_SIZE, **kwargs
    ) -> None:
        super().__init__(panstarrs_conn_id, **kwargs)
        self.page_size = page_size

    def throttle_wait(self, response: HttpResponse) -> float:
        return retry_after_seconds(response.headers) or 30.0

    def query_pages(
        self, table: str, params: dict[str, Any], *, columns: Sequence[str] | None = None, fmt: str = "csv"
    ) -> tuple[pd.DataFrame, list[str]]:
        """Fetch every page of a query; return the joined table and each page's raw text."""
        frames, pages = [], []
        for page in range(1, MAX_PAGES + 1):
            request = wire.table_request(
                self.base_url,
                table,
                params,
                columns=columns,
                fmt=fmt,
                page=page,
                page_size=self.page_size,
                token=self.get_conn().password or None,
            )
            text = wire.check_response(self.run(request), f"{table} query")
            frame = wire.read_table(text, fmt)
            frames.append(frame)
            pages.append(text)
            if len(frame) < self.page_size:
                non_empty = [f for f in frames if len(f)]
                return (pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]), pages
        raise RemoteServiceError(f"MAST {table} query did not end within {MAX_PAGES} pages")

    def cone(
        self,
        table: str,
        ra: float,
        dec: float,
        radius_deg: float,
        *,
        columns: Sequence[str] | None = None,
        fmt: str = "csv",
        **filters: Any,
    ) -> pd.DataFrame:
        """A cone search of ``table``; extra keyword filters like ``nDetections.gte=1``."""
        return self.query_pages(table, {**wire.cone_params(ra, dec, radius_deg), **filters}, columns=columns, fmt=fmt)[
            0
        ]

    def detection_pages(self, obj_id: int, *, fmt: str = "csv", **filters: Any) -> tuple[pd.DataFrame, list[str]]:
        """Every detection of one object (paged); filters like ``obsTime.gte`` (MJD, TAI)."""
        return self.query_pages("detection", {"objID": str(obj_id), **filters}, columns=wire.DETECTION_COLUMNS, fmt=fmt)

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.cone("mean", 0.0, 0.0, 1e-4, columns=wire.OBJECT_COLUMNS)
        except Exception as err:  # noqa: BLE001 - the UI wants a message
            return False, str(err)
        return True, f"MAST PanSTARRS at {self.base_url} answered"
