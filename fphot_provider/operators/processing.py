"""Raw product -> parser -> sink, and the light-curve plot of what the sink holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from fphot_provider.failures import fails_fast
from fphot_provider.plotting import plot_light_curve
from fphot_provider.processing import process_product
from fphot_provider.sinks import get_sink
from fphot_provider.storage import data_dir
from fphot_provider.survey_store import product_result, read_manifest, store_chunk
from fphot_provider.targets import safe_name
from fphot_provider.ui.links import LightCurveLink, push_light_curve_path, target_path

if TYPE_CHECKING:
    from airflow.sdk import Context


class PhotometryProcessorOperator(BaseOperator):
    """Parse a fetch operator's raw product and upsert the rows into a sink.

    :param product: the raw product (usually ``fetch_task.output``).
    :param sink: a sink spec (``file``, ``file:format=csv``, ...).
    :param parser_options: options for the parser, e.g. ``{"snr_threshold": 5}``.
    :param data_dir: root for the file sink; default from the environment/config.
    """

    template_fields = ("product", "sink", "parser_options")

    def __init__(
        self,
        *,
        product: Any,
        sink: str = "file",
        parser_options: dict[str, Any] | None = None,
        data_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.product = product
        self.sink = sink
        self.parser_options = parser_options or {}
        self.data_dir = data_dir

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        return process_into(self.product, get_sink(self.sink, root=self.data_dir), self.parser_options, self.log)


class PhotometryChunkProcessorOperator(BaseOperator):
    """Parse and store a chunk of raw products in one task (a survey night: thousands of products).

    The chunk is written in one call to the sink and, with ``alert_options``, the targets whose
    rows changed are checked for significant changes (:mod:`fphot_provider.survey_store`). A
    product that cannot be processed is reported in the result (``failures``); the rest of the
    chunk is stored.

    :param products: raw products (from the chunked fetch operators), or the path of a manifest
        file holding them (:func:`fphot_provider.survey_store.write_manifests`).
    :param sink: a sink spec.
    :param parser_options: options for the parsers.
    :param alert_options: ``min_sigma`` and ``min_delta_mag`` for change detection; None: none.
    """

    template_fields = ("products", "sink", "parser_options", "alert_options")

    def __init__(
        self,
        *,
        products: list[dict[str, Any]] | str,
        sink: str = "file",
        parser_options: dict[str, Any] | None = None,
        alert_options: dict[str, Any] | None = None,
        data_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.products, self.sink, self.parser_options, self.data_dir = products, sink, parser_options or {}, data_dir
        self.alert_options = alert_options

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        sink = get_sink(self.sink, root=self.data_dir)  # a bad spec fails the task at once
        products = read_manifest(self.products)
        return store_chunk(products, sink, self.parser_options, self.log, self.alert_options)


def process_into(product: dict[str, Any], sink: Any, options: dict[str, Any], log: Any) -> dict[str, Any]:
    """Parse one raw product and upsert its rows; the counts for the run's summary."""
    table = process_product(product, **options)
    result = sink.write_product(table, product)
    dropped = table.attrs.get("duplicates_dropped", 0)
    if dropped:
        log.warning("%s listed %d exposures twice; kept one row each", product["service"], dropped)
    log.info(
        "%s rows for %s (%d detections, %d flagged) -> %s: %d new, %d updated, %d unchanged",
        len(table),
        product["target"]["name"],
        int(table["detected"].sum()),
        int((~table["good"]).sum()),
        sink.describe(),
        result.inserted,
        result.updated,
        result.unchanged,
    )
    return product_result(table, product, result)


class LightCurvePlotOperator(BaseOperator):
    """Plot every row a sink holds for a target into ``<data_dir>/plots/<target>.png``.

    :param target_name: the target (templated).
    :param sink: the sink spec to read from.
    """

    template_fields = ("target_name", "sink")
    operator_extra_links = (LightCurveLink(),)

    def __init__(self, *, target_name: str, sink: str = "file", data_dir: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_name = target_name
        self.sink = sink
        self.data_dir = data_dir

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        table = get_sink(self.sink, root=self.data_dir).read(self.target_name)
        path = data_dir(self.data_dir) / "plots" / f"{safe_name(self.target_name)}.png"
        plot_light_curve(table, path, title=self.target_name)
        counts = table.groupby("filter").size().to_dict() if len(table) else {}
        self.log.info("plotted %d rows of %s at %s: %s", len(table), self.target_name, path, counts)
        if len(table):
            push_light_curve_path(context, target_path(self.target_name))
        return {"plot": str(path), "rows": len(table), "per_filter": {str(k): int(v) for k, v in counts.items()}}
