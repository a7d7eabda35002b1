"""fphot_survey_monitor: every night, new forced photometry for every target of a survey.

The target list comes from a CSV file, an Airflow Variable or a SQL table. Each night asks
only for what is new: per target and service, from the last stored epoch (minus a small
overlap) to the end of the data interval. ATLAS goes out as ``radeclist`` batches of up to
100 targets; ZTF and PanSTARRS are mapped per target; all waiting happens in the triggerer.
Pools (``fphot_atlas``, ``fphot_ztf``, ``fphot_panstarrs``) cap concurrent requests per
service: create them with ``airflow pools set`` (README). Every target's combined light curve
is re-plotted, significant changes are reported (log + the configured notifier), and one
Airflow Asset per target (``fphot://photometry/<target>``) is updated so downstream DAGs can
be scheduled on new photometry. A failing target never stops the others: the run summary
lists what failed and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAlias, Param, task

from fphot_provider.dag_defaults import default_args
from fphot_provider.operators.atlas_batch import AtlasBatchForcedPhotometryOperator
from fphot_provider.operators.panstarrs import PanstarrsPhotometryOperator
from fphot_provider.operators.processing import PhotometryProcessorOperator
from fphot_provider.operators.ztf import ZtfForcedPhotometryOperator

ALIAS = "fphot-photometry"
EXAMPLE_TARGETS = Path(__file__).with_name("monitor_targets.csv")
POOLS = {"atlas": "fphot_atlas", "ztf": "fphot_ztf", "panstarrs": "fphot_panstarrs"}

PARAMS = {
    "targets": Param(
        f"csv:{EXAMPLE_TARGETS}",
        type="string",
        title="Target source",
        description="csv:PATH, variable:NAME or sql:CONN_ID:TABLE (columns name, ra, dec)",
    ),
    "services": Param(list(POOLS), type="array", items={"type": "string", "enum": list(POOLS)}, minItems=1),
    "sink": Param("sql", type="string", title="Sink", description="sql, sql:conn_id=...,table=..., file, ..."),
    "overlap_days": Param(2.0, type="number", minimum=0, maximum=60, title="Re-ask this many nights"),
    "first_days": Param(60.0, type="number", minimum=1, maximum=20000, title="Window of a new target (days)"),
    "alert_sigma": Param(5.0, type="number", minimum=3, maximum=100, title="Change significance (sigma)"),
    "alert_delta_mag": Param(0.5, type="number", minimum=0, maximum=10, title="Brightening (mag)"),
    "atlas_poll_seconds": Param(60.0, type="number", exclusiveMinimum=0, title="ATLAS: first status check after (s)"),
    "ztf_poll_seconds": Param(
        300.0,
        type="number",
        exclusiveMinimum=0,
        title="ZTF: first status check after (s)",
        description="never below [fphot] ztf_min_poll_seconds (120 s): the status page is slow",
    ),
}

with DAG(
    dag_id="fphot_survey_monitor",
    schedule="@daily",
    start_date=pendulum.datetime(2015, 1, 1, tz="UTC"),  # no catch-up; early so past nights can be replayed
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    render_template_as_native_obj=True,
    tags=["fphot", "monitoring"],
    default_args=default_args(),
    doc_md=__doc__,
) as dag:

    @task
    def load(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Read and validate the targets; rejected rows go to the summary, not to a failure."""
        from fphot_provider.exceptions import InvalidQueryError
        from fphot_provider.failures import fail_fast
        from fphot_provider.sinks import parse_spec
        from fphot_provider.survey import load_targets

        with fail_fast():  # a bad sink or target list fails at once, without retries
            parse_spec(params["sink"])
            targets, errors = load_targets(params["targets"])
            if not targets:
                raise InvalidQueryError("targets", f"no valid target in {params['targets']!r}: {errors[:5]}")
        return {"targets": targets, "errors": errors}

    @task
    def plan(
        loaded: dict[str, Any], params: dict[str, Any] | None = None, data_interval_end: Any = None
    ) -> dict[str, Any]:
        """Per service, the incremental query of every target (ATLAS grouped in batches)."""
        from astropy.time import Time

        from fphot_provider.sinks import get_sink
        from fphot_provider.survey import atlas_batches, incremental_windows

        sink = get_sink(params["sink"])
        end = float(Time(data_interval_end or pendulum.now("UTC")).mjd)
        window = {"overlap_days": params["overlap_days"], "first_days": params["first_days"]}
        queries = {
            s: incremental_windows(loaded["targets"], s, sink, end, **window) if s in params["services"] else []
            for s in POOLS
        }
        atlas_poll = {
            "poll_interval": params["atlas_poll_seconds"],
            "max_poll_interval": 15 * params["atlas_poll_seconds"],
        }
        ztf_poll = {"poll_interval": params["ztf_poll_seconds"], "max_poll_interval": 6 * params["ztf_poll_seconds"]}
        return {
            "atlas": [{**batch, **atlas_poll} for batch in atlas_batches(queries["atlas"])],
            "ztf": [{**query, **ztf_poll} for query in queries["ztf"]],
            "panstarrs": queries["panstarrs"],
        }

    @task
    def queries(planned: dict[str, Any], service: str) -> list[dict[str, Any]]:
        """One service's share of the plan (mapping needs a list of its own)."""
        return planned[service]

    loaded = load()
    planned = plan(loaded)
    per_service = {s: queries.override(task_id=f"{s}_queries")(planned, s) for s in POOLS}
    atlas = AtlasBatchForcedPhotometryOperator.partial(
        task_id="atlas_fetch", pool=POOLS["atlas"], deferrable=True
    ).expand_kwargs(per_service["atlas"])
    ztf = ZtfForcedPhotometryOperator.partial(task_id="ztf_fetch", pool=POOLS["ztf"], deferrable=True).expand_kwargs(
        per_service["ztf"]
    )
    panstarrs = PanstarrsPhotometryOperator.partial(task_id="panstarrs_fetch", pool=POOLS["panstarrs"]).expand_kwargs(
        per_service["panstarrs"]
    )

    @task(trigger_rule="all_done")
    def products(atlas_results: Any, ztf_products: Any, panstarrs_products: Any) -> list[dict[str, Any]]:
        """Every raw product of the night, from whatever fetches succeeded."""
        found = [p for result in atlas_results or [] if result for p in result["products"]]
        found += [p for p in [*(ztf_products or []), *(panstarrs_products or [])] if p]
        return found

    night = products(atlas.output, ztf.output, panstarrs.output)
    processed = PhotometryProcessorOperator.partial(
        task_id="process",
        sink="{{ params.sink }}",
        trigger_rule="all_done",
    ).expand(product=night)

    @task(trigger_rule="all_done", outlets=[AssetAlias(ALIAS)])
    def report(
        loaded: dict[str, Any],
        planned: dict[str, Any],
        night: list[dict[str, Any]],
        atlas_results: Any,
        processed_results: Any,
        params: dict[str, Any] | None = None,
        outlet_events: Any = None,
        **context: Any,
    ) -> dict[str, Any]:
        """Plot, detect changes, emit one asset event per updated target, summarize the night."""
        from fphot_provider.survey_report import summarize

        processed = [r for r in processed_results or [] if r]
        summary = summarize(loaded, planned, night, list(atlas_results or []), params, context, processed)
        for name in summary["updated_targets"]:
            outlet_events[AssetAlias(ALIAS)].add(Asset(f"fphot://photometry/{name}"))
        return summary

    report(loaded, planned, night, atlas.output, processed.output)
