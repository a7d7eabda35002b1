"""What every forced-photometry operator shares: validated inputs, checked downloads, products.

A "raw product" is what a fetch operator returns through XCom and the processor consumes:
JSON primitives naming the service, the data product type, the target, the query and the path
of the raw file kept on disk (None for a valid empty answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from fphot_provider.exceptions import RemoteServiceError, TableParseError
from fphot_provider.storage import data_dir
from fphot_provider.targets import QueryWindow, Target

if TYPE_CHECKING:
    from pathlib import Path


DOWNLOAD_ATTEMPTS = 3


def download_checked(fetch: Callable[[], str], check: Callable[[str], Any], what: str) -> str:
    """Download a result and prove it parses before anyone stores it or frees the remote job.

    A file cut short in transit (or served half-written) is fetched again, up to
    :data:`DOWNLOAD_ATTEMPTS` times; then the job is left alone on the server and the task
    fails, so a retry can still fetch it.
    """
    for _ in range(DOWNLOAD_ATTEMPTS):
        text = fetch()
        try:
            check(text)
            return text
        except TableParseError as err:
            problem = err
    raise RemoteServiceError(f"{what} was unreadable {DOWNLOAD_ATTEMPTS} times (kept on the server): {problem}")


class ForcedPhotometryOperator(BaseOperator):
    """Base of the per-service fetch operators: one target, one query window.

    Services that queue jobs add :class:`~fphot_provider.operators.job.RemoteJobOperator`
    (its ``deferrable``, ``poll_interval``, ``max_poll_interval`` and ``job_timeout``).

    :param target_name: the target's name (used for file names and the ``target`` column).
    :param ra: right ascension, decimal degrees or sexagesimal hours.
    :param dec: declination, decimal degrees or sexagesimal.
    :param mjd_min: window start (MJD or ISO date); None: the service's full history.
    :param mjd_max: window end (MJD or ISO date); None: now.
    :param data_dir: root for raw files; default from :func:`fphot_provider.storage.data_dir`.
    """

    template_fields = ("target_name", "ra", "dec", "mjd_min", "mjd_max")
    service: str = ""
    data_product_type: str = ""

    def __init__(
        self,
        *,
        target_name: str,
        ra: float | str,
        dec: float | str,
        mjd_min: float | str | None = None,
        mjd_max: float | str | None = None,
        data_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target_name = target_name
        self.ra = ra
        self.dec = dec
        self.mjd_min = mjd_min
        self.mjd_max = mjd_max
        self.data_dir = data_dir

    def query(self) -> tuple[Target, QueryWindow]:
        """Validate the (rendered) inputs; raises InvalidQueryError before anything is sent."""
        return Target.parse(self.target_name, self.ra, self.dec), QueryWindow.parse(self.mjd_min, self.mjd_max)

    @property
    def root(self) -> Path:
        return data_dir(self.data_dir)

    def product(self, target: Target, window: QueryWindow, raw_paths: list[Path], **extra: Any) -> dict[str, Any]:
        """The raw product returned through XCom to the processor (no paths: a valid empty answer)."""
        return raw_product(self.service, self.data_product_type, target, window, raw_paths, **extra)


def raw_product(
    service: str, data_product_type: str, target: Target, window: QueryWindow, raw_paths: list[Path], **extra: Any
) -> dict[str, Any]:
    """The dict a fetch operator hands the processor through XCom."""
    return {
        "service": service,
        "data_product_type": data_product_type,
        "target": target.to_dict(),
        "window": window.to_dict(),
        "raw_paths": [str(path) for path in raw_paths],
        **extra,
    }
