"""Forced photometry through the alert brokers (Fink, ALeRCE): one target, or a chunk of many.

Position -> objects -> forced photometry: a cone search at the target (``radius_arcsec``,
default 2"), the nearest object (or all of them), then each object's forced photometry, kept
raw (one JSON file per object) after proving it parses. Brokers answer at once: nothing is
deferred. An empty cone is a valid, empty result (said in the log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fphot_provider.brokers import Broker, broker
from fphot_provider.failures import fails_fast
from fphot_provider.operators.base import ForcedPhotometryOperator, download_checked, raw_product
from fphot_provider.operators.chunks import ChunkFetchOperator
from fphot_provider.operators.panstarrs import check_choice
from fphot_provider.parsers import registry
from fphot_provider.storage import store_raw

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import Context

    from fphot_provider.hooks.brokers import BrokerHook
    from fphot_provider.targets import QueryWindow, Target


class _BrokerOptions:
    """The options both broker operators take: which service, which cone, which objects."""

    def set_broker(self, service: str, radius_arcsec: float, choose: str, conn_id: str | None) -> None:
        self.broker = broker(service)  # an unknown service fails when the DAG is parsed
        self.radius_arcsec, self.choose, self.conn_id = radius_arcsec, choose, conn_id

    def check_options(self) -> None:
        check_choice(self.choose)

    def make_hook(self) -> BrokerHook:
        return self.broker.make_hook(self.conn_id)

    def fetch(self, hook: BrokerHook, target: Target, window: QueryWindow, root: Path, log: Any) -> dict[str, Any]:
        return fetch_broker_target(hook, self.broker, target, window, float(self.radius_arcsec), self.choose, root, log)


class BrokerForcedPhotometryOperator(_BrokerOptions, ForcedPhotometryOperator):
    """One target's forced photometry from a broker service (``fink_lsst``, ``alerce_lsst``, ``alerce_ztf``).

    :param service: the broker service (:data:`fphot_provider.brokers.BROKERS`).
    :param radius_arcsec: cone radius (default 2").
    :param choose: ``nearest`` (default) or ``all`` objects in the cone.
    :param conn_id: the service's Connection (default its ``fphot_<service>_default``; without
        one, the public service).
    """

    template_fields = (*ForcedPhotometryOperator.template_fields, "radius_arcsec", "choose")

    def __init__(
        self,
        *,
        service: str,
        radius_arcsec: float = 2.0,
        choose: str = "nearest",
        conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.set_broker(service, radius_arcsec, choose, conn_id)
        self.service, self.data_product_type = self.broker.service, self.broker.data_product_type

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        target, window = self.query()
        self.check_options()
        return self.fetch(self.make_hook(), target, window, self.root, self.log)


class BrokerChunkOperator(_BrokerOptions, ChunkFetchOperator):
    """Many targets of one broker service inside one task, ``workers`` at a time."""

    def __init__(
        self,
        *,
        service: str,
        radius_arcsec: float = 2.0,
        choose: str = "nearest",
        conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.set_broker(service, radius_arcsec, choose, conn_id)
        self.what = self.broker.title

    def fetch_one(self, hook: BrokerHook, target: Target, window: QueryWindow, root: Path) -> dict[str, Any]:
        return self.fetch(hook, target, window, root, self.log)


def fetch_broker_target(
    hook: BrokerHook,
    spec: Broker,
    target: Target,
    window: QueryWindow,
    radius_arcsec: float,
    choose: str,
    root: Path,
    log: Any,
) -> dict[str, Any]:
    """The chosen objects' forced photometry, each answer proven to parse, then kept raw."""
    objects = hook.objects_near(target.ra, target.dec, radius_arcsec)
    if not objects:
        log.info("%s: no object within %s arcsec of %s: an empty, valid result", spec.title, radius_arcsec, target.name)
    chosen = objects if choose == "all" else objects[:1]
    paths = []
    for obj in chosen:
        text = download_checked(
            lambda obj=obj: hook.forced_photometry(obj.id),
            lambda text: registry.parse(spec.data_product_type, text, target=target.name),
            f"{spec.title} forced photometry of {obj.id}",
        )
        paths.append(store_raw(root, spec.service, target.safe_name, f"fp_{obj.id}.json", text))
    log.info("%s: %d object(s) near %s, using %s", spec.title, len(objects), target.name, [o.to_dict() for o in chosen])
    return raw_product(
        spec.service,
        spec.data_product_type,
        target,
        window,
        paths,
        objects=[obj.to_dict() for obj in chosen],
        radius_arcsec=radius_arcsec,
        parser_options={"mjd_min": window.mjd_min, "mjd_max": window.mjd_max},
    )
