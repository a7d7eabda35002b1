"""fphot_survey_monitor: every night, new forced photometry for every target of a survey.

The target list comes from a CSV file, an Airflow Variable or a SQL table. Each night asks
only for what is new: per target and service, from the last stored epoch (minus a small
overlap) to the end of the data interval. Task instances are chunks, never targets: ATLAS goes
out as ``radeclist`` batches of up to 100 targets, ZTF through its batch service (up to 1,500
positions a request), PanSTARRS in chunks fetched a few at a time inside one task, and the
night's products are stored in chunks too; all waiting happens in the triggerer. Pools
(``fphot_atlas``, ``fphot_ztf``, ``fphot_panstarrs``) cap concurrent chunks per service: create
them with ``airflow pools set`` (README). Targets that got new rows are re-plotted,
significant changes are reported (log + the configured notifier), and one
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
from fphot_provider.operators.panstarrs import PanstarrsChunkOperator
from fphot_provider.operators.processing import PhotometryChunkProcessorOperator
from fphot_provider.operators.ztf_batch import ZtfBatchForcedPhotometryOperator

ALIAS = "fphot-photometry"
EXAMPLE_TARGETS = Path(__file__).with_name("monitor_targets.csv")
POOLS = {"atlas": "fphot_atlas", "ztf": "fphot_ztf", "panstarrs": "fphot_panstarrs"}
# The night's products are stored by at most this many task instances (each a chunk of at least
# PROCESS_MIN products): 10,000 targets x 3 services is 20 store tasks, not 30,000.
PROCESS_TASKS, PROCESS_MIN = 20, 100

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
    "ztf_batch_size": Param(1500, type="integer", minimum=1, maximum=1500, title="ZTF: positions per batch request"),
    "ps1_chunk_size": Param(1000, type="integer", minimum=1, maximum=5000, title="PanSTARRS: targets per task"),
    "ps1_workers": Param(4, type="integer", minimum=1, maximum=16, title="PanSTARRS: concurrent queries per task"),
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
        from fphot_provider.survey import atlas_batches, batches, chunks, incremental_windows

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
        ps1 = {"workers": params["ps1_workers"]}
        return {
            "atlas": [{**batch, **atlas_poll} for batch in atlas_batches(queries["atlas"])],
            "ztf": [{**batch, **ztf_poll} for batch in batches(queries["ztf"], params["ztf_batch_size"])],
            "panstarrs": [
                {"queries": chunk, **ps1} for chunk in chunks(queries["panstarrs"], params["ps1_chunk_size"])
            ],
        }

    @task
    def queries(planned: dict[str, Any], service: str) -> list[dict[str, Any]]:
        """One service's share of the plan (mapping needs a list of its own): a list of chunks."""
        return planned[service]

    loaded = load()
    planned = plan(loaded)
    per_service = {s: queries.override(task_id=f"{s}_queries")(planned, s) for s in POOLS}
    atlas = AtlasBatchForcedPhotometryOperator.partial(
        task_id="atlas_fetch", pool=POOLS["atlas"], deferrable=True
    ).expand_kwargs(per_service["atlas"])
    ztf = ZtfBatchForcedPhotometryOperator.partial(
        task_id="ztf_fetch", pool=POOLS["ztf"], deferrable=True
    ).expand_kwargs(per_service["ztf"])
    panstarrs = PanstarrsChunkOperator.partial(task_id="panstarrs_fetch", pool=POOLS["panstarrs"]).expand_kwargs(
        per_service["panstarrs"]
    )

    @task(trigger_rule="all_done")
    def products(atlas_results: Any, ztf_results: Any, panstarrs_results: Any) -> dict[str, Any]:
        """Every raw product of the night in chunks to store, and every target a fetch chunk reported failed."""
        from fphot_provider.survey import chunks

        found, failed = [], []
        for service, results in (("atlas", atlas_results), ("ztf", ztf_results), ("panstarrs", panstarrs_results)):
            for result in results or []:
                if result:
                    found += result["products"]
                    failed += [{"service": service, **failure} for failure in result["failures"]]
        size = max(PROCESS_MIN, -(-len(found) // PROCESS_TASKS))
        return {"chunks": chunks(found, size), "failures": failed, "products": len(found)}

    @task
    def product_chunks(night: dict[str, Any]) -> list[list[dict[str, Any]]]:
        return night["chunks"]

    night = products(atlas.output, ztf.output, panstarrs.output)
    processed = PhotometryChunkProcessorOperator.partial(
        task_id="process",
        sink="{{ params.sink }}",
        trigger_rule="all_done",
    ).expand(products=product_chunks(night))

    @task(trigger_rule="all_done", outlets=[AssetAlias(ALIAS)])
    def report(
        loaded: dict[str, Any],
        planned: dict[str, Any],
        night: dict[str, Any],
        processed_results: Any,
        params: dict[str, Any] | None = None,
        outlet_events: Any = None,
        **context: Any,
    ) -> dict[str, Any]:
        """Plot, detect changes, emit one asset event per updated target, summarize the night."""
        from fphot_provider.survey_report import summarize

        done = [r for r in processed_results or [] if r]
        processed = [result for chunk in done for result in chunk["results"]]
        failures = night["failures"] + [failure for chunk in done for failure in chunk["failures"]]
        summary = summarize(loaded, planned, failures, params, context, processed)
        for name in summary["updated_targets"]:
            outlet_events[AssetAlias(ALIAS)].add(Asset(f"fphot://photometry/{name}"))
        return summary

    report(loaded, planned, night, processed.output)
