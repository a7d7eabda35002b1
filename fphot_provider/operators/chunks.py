"""Many targets of a synchronous service fetched inside one task, a few at a time.

A survey night would otherwise be one task instance per target. Services that answer at once
(MAST, the alert brokers) run a chunk of hundreds in one process with ``workers`` concurrent
queries; the service's pool still caps how many chunks run at once. A failing target is
reported in the result; the rest of the chunk completes.
"""

from __future__ import annotations

from abc import abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from fphot_provider.exceptions import FphotError
from fphot_provider.failures import fails_fast
from fphot_provider.storage import data_dir
from fphot_provider.targets import QueryWindow, Target

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import Context


class ChunkFetchOperator(BaseOperator):
    """Base of the chunked fetch operators: name the hook and how one target is fetched.

    :param queries: ``[{"target_name", "ra", "dec", "mjd_min", "mjd_max"}, ...]``.
    :param workers: concurrent queries in this task.
    """

    template_fields = ("queries",)
    what: str = ""

    def __init__(
        self, *, queries: list[dict[str, Any]], workers: int = 4, data_dir: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.queries, self.workers, self.data_dir = queries, workers, data_dir

    @abstractmethod
    def make_hook(self) -> Any:
        """The service's hook, shared by the threads."""

    @abstractmethod
    def fetch_one(self, hook: Any, target: Target, window: QueryWindow, root: Path) -> dict[str, Any]:
        """One target's raw product."""

    def check_options(self) -> None:
        """Refuse bad options before any query (override where there are options)."""

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        self.check_options()
        hook = self.make_hook()
        hook.get_conn()  # once, before the threads share the hook (a missing Connection fails here)
        root = data_dir(self.data_dir)  # resolved once, not per target
        with ThreadPoolExecutor(max_workers=max(1, int(self.workers))) as pool:
            outcomes = list(pool.map(lambda query: self._one(hook, query, root), self.queries))
        products = [o["product"] for o in outcomes if "product" in o]
        failures = [o["failure"] for o in outcomes if "failure" in o]
        self.log.info(
            "%s chunk: %d targets, %d products, %d failures", self.what, len(self.queries), len(products), len(failures)
        )
        return {"products": products, "failures": failures}

    def _one(self, hook: Any, query: dict[str, Any], root: Path) -> dict[str, Any]:
        try:
            target = Target.parse(query["target_name"], query["ra"], query["dec"])
            window = QueryWindow.parse(query.get("mjd_min"), query.get("mjd_max"))
            return {"product": self.fetch_one(hook, target, window, root)}
        except FphotError as err:  # one target's trouble stays its own
            return {"failure": {"target": query.get("target_name"), "error": str(err)}}
