"""fphot_survey_monitor: every night, new forced photometry for every target of a survey.

The target list comes from a CSV file, an Airflow Variable or a SQL table. Each night asks
only for what is new: per target and service, from the last stored epoch (minus a small
overlap) to the end of the data interval. Task instances are chunks, never targets: ATLAS goes
out as ``radeclist`` batches of up to 100 targets, ZTF through its batch service (up to 1,500
positions a request), PanSTARRS in chunks fetched a few at a time inside one task, and the
night's products are stored in chunks too (one sink write per chunk, change detection on the
chunk's changed targets); all waiting happens in the triggerer. Pools (``fphot_atlas``,
``fphot_ztf``, ``fphot_panstarrs``) cap concurrent chunks per service: create them with
``airflow pools set`` (README). Up to ``max_plots`` targets that got new rows are re-plotted
(alerted ones first), significant changes are reported (log + the configured notifier), and one
Airflow Asset per target (``fphot://photometry/<target>``) is updated so downstream DAGs can
be scheduled on new photometry. A failing target never stops the others: the run summary
lists what failed and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAlias, Param, task

from fphot_provider.brokers import BROKERS
from fphot_provider.dag_defaults import default_args
from fphot_provider.operators.atlas_batch import AtlasBatchForcedPhotometryOperator
from fphot_provider.operators.brokers import BrokerChunkOperator
from fphot_provider.operators.panstarrs import PanstarrsChunkOperator
from fphot_provider.operators.processing import PhotometryChunkProcessorOperator
from fphot_provider.operators.ztf_batch import ZtfBatchForcedPhotometryOperator
from fphot_provider.ui.links import LightCurveLink

ALIAS = "fphot-photometry"
EXAMPLE_TARGETS = Path(__file__).with_name("monitor_targets.csv")
POOLS = {
    "atlas": "fphot_atlas",
    "ztf": "fphot_ztf",
    "panstarrs": "fphot_panstarrs",
    "fink_lsst": "fphot_fink",
    "alerce_lsst": "fphot_alerce",
    "alerce_ztf": "fphot_alerce",
}
SURVEYS = ["atlas", "ztf", "panstarrs"]  # the default; the brokers (public, instant) are opted in
CHUNKED = ["panstarrs", *BROKERS]  # answered at once: fetched in chunks inside one task
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
    "services": Param(
        SURVEYS,
        type="array",
        items={"type": "string", "enum": list(POOLS)},
        minItems=1,
        uniqueItems=True,
        description="also fink_lsst, alerce_lsst, alerce_ztf (Rubin and ZTF alert photometry through the brokers)",
    ),
    "sink": Param("sql", type="string", title="Sink", description="sql, sql:conn_id=...,table=..., file, ..."),
    "overlap_days": Param(2.0, type="number", minimum=0, maximum=60, title="Re-ask this many nights"),
    "first_days": Param(60.0, type="number", minimum=1, maximum=20000, title="Window of a new target (days)"),
    "alert_sigma": Param(5.0, type="number", minimum=3, maximum=100, title="Change significance (sigma)"),
    "alert_delta_mag": Param(0.5, type="number", minimum=0, maximum=10, title="Brightening (mag)"),
    "max_plots": Param(
        50,
        type="integer",
        minimum=0,
        maximum=100000,
        title="Plots redrawn per night",
        description="changed targets only, alerted ones first; any target on demand: fphot plot",
    ),
    "ztf_batch_size": Param(1500, type="integer", minimum=1, maximum=1500, title="ZTF: positions per batch request"),
    "ps1_chunk_size": Param(1000, type="integer", minimum=1, maximum=5000, title="PanSTARRS: targets per task"),
    "ps1_workers": Param(4, type="integer", minimum=1, maximum=16, title="PanSTARRS: concurrent queries per task"),
    "broker_chunk_size": Param(1000, type="integer", minimum=1, maximum=5000, title="Brokers: targets per task"),
    "broker_workers": Param(4, type="integer", minimum=1, maximum=16, title="Brokers: concurrent queries per task"),
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
        sizes = {s: (params["broker_chunk_size"], params["broker_workers"]) for s in BROKERS}
        sizes["panstarrs"] = (params["ps1_chunk_size"], params["ps1_workers"])
        planned = {
            "atlas": [{**batch, **atlas_poll} for batch in atlas_batches(queries["atlas"])],
            "ztf": [{**batch, **ztf_poll} for batch in batches(queries["ztf"], params["ztf_batch_size"])],
        }
        for service in CHUNKED:
            size, workers = sizes[service]
            planned[service] = [{"queries": chunk, "workers": workers} for chunk in chunks(queries[service], size)]
        return planned

    @task
    def queries(planned: dict[str, Any], service: str) -> list[dict[str, Any]]:
        """One service's share of the plan: Airflow maps only over a task's return value."""
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
    brokers = {
        service: BrokerChunkOperator.partial(
            task_id=f"{service}_fetch", service=service, pool=POOLS[service]
        ).expand_kwargs(per_service[service])
        for service in BROKERS
    }

    @task(trigger_rule="all_done")
    def products(results: dict[str, Any], run_id: str | None = None, ti: Any = None) -> list[str]:
        """The night's raw products in chunks to store, each chunk a manifest file (a night is
        megabytes: too much for every store task to pull through XCom); the targets a fetch chunk
        reported failed go to the report under the XCom key ``failures``."""
        from fphot_provider.survey import chunks
        from fphot_provider.survey_store import write_manifests

        found, failed = [], []
        for service, outputs in results.items():
            for result in outputs or []:
                if result:
                    found += result["products"]
                    failed += [{"service": service, **failure} for failure in result["failures"]]
        size = max(PROCESS_MIN, -(-len(found) // PROCESS_TASKS))
        ti.xcom_push(key="failures", value=failed)
        return write_manifests(chunks(found, size), run_id)

    fetched = {"atlas": atlas, "ztf": ztf, "panstarrs": panstarrs, **brokers}
    night = products({service: fetch.output for service, fetch in fetched.items()})
    processed = PhotometryChunkProcessorOperator.partial(
        task_id="process",
        sink="{{ params.sink }}",
        alert_options={"min_sigma": "{{ params.alert_sigma }}", "min_delta_mag": "{{ params.alert_delta_mag }}"},
        trigger_rule="all_done",
    ).expand(products=night)

    @task(trigger_rule="all_done", outlets=[AssetAlias(ALIAS)])
    def report(
        loaded: dict[str, Any],
        planned: dict[str, Any],
        manifests: list[str] | None,
        processed_results: Any,
        params: dict[str, Any] | None = None,
        outlet_events: Any = None,
        **context: Any,
    ) -> dict[str, Any]:
        """Sort the chunks' alerts, redraw plots, emit one asset event per updated target, summarize."""
        from fphot_provider.survey_report import summarize

        done = [r for r in processed_results or [] if r]
        processed = [result for chunk in done for result in chunk["results"]]
        fetch_failures = context["ti"].xcom_pull(task_ids="products", key="failures") or []
        failures = fetch_failures + [failure for chunk in done for failure in chunk["failures"]]
        alerts = [alert for chunk in done for alert in chunk.get("alerts", [])]
        summary = summarize(loaded, planned, failures, params, context, processed, alerts)
        if manifests and len(done) == len(manifests):  # every chunk stored: the manifests are done with
            from fphot_provider.survey_store import forget_manifests

            forget_manifests(manifests)
        for name in summary["updated_targets"]:
            outlet_events[AssetAlias(ALIAS)].add(Asset(f"fphot://photometry/{name}"))
        return summary

    reported = report(loaded, planned, night, processed.output)
    reported.operator.operator_extra_links = (LightCurveLink(),)  # the strongest alert's page (or the list)
