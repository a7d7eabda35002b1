"""fphot_target: one target's forced photometry from every chosen service, into a sink, plotted.

Services: ATLAS, ZTF (IPAC), PanSTARRS, and through the alert brokers Rubin/LSST (Fink,
ALeRCE) and ZTF's alert forced photometry (ALeRCE).

Trigger it from the UI form (target name, RA, Dec, window, services, sink), with
``airflow dags trigger fphot_target --conf '{...}'``, or debug it with
``airflow dags test fphot_target --conf '{...}'``. Inputs are validated by the same Target code
the operators and CLI use, before anything is sent to a service.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, TaskGroup, task

from fphot_provider.brokers import BROKERS
from fphot_provider.dag_defaults import default_args
from fphot_provider.operators.atlas import AtlasForcedPhotometryOperator
from fphot_provider.operators.brokers import BrokerForcedPhotometryOperator
from fphot_provider.operators.panstarrs import PanstarrsPhotometryOperator
from fphot_provider.operators.processing import LightCurvePlotOperator, PhotometryProcessorOperator
from fphot_provider.operators.ztf import ZtfForcedPhotometryOperator
from fphot_provider.params import dec_param, ra_param

BROKER_SERVICES = list(BROKERS)  # fink_lsst, alerce_lsst, alerce_ztf: public, no credentials
SERVICES = ["atlas", "ztf", "panstarrs", *BROKER_SERVICES]

PARAMS = {
    "target_name": Param("SN 2023ixf", type="string", minLength=1, maxLength=200, title="Target name"),
    "ra": ra_param(210.910674),
    "dec": dec_param(54.3117),
    "mjd_min": Param(
        None,
        type=["null", "number", "string"],
        title="Window start",
        description="MJD or ISO date; empty: full history",
    ),
    "mjd_max": Param(
        None, type=["null", "number", "string"], title="Window end", description="MJD or ISO date; empty: now"
    ),
    "services": Param(
        SERVICES,
        type="array",
        items={"type": "string", "enum": SERVICES},
        minItems=1,
        uniqueItems=True,
        title="Services",
    ),
    "sink": Param("file", type="string", title="Sink", description="file, file:format=csv, ..."),
    "use_reduced": Param(False, type="boolean", title="ATLAS: reduced instead of difference images"),
    "snr_threshold": Param(3.0, type="number", minimum=1, maximum=100, title="S/N of a detection"),
    "ps1_radius_arcsec": Param(
        2.0, type="number", exclusiveMinimum=0, maximum=60, title="PanSTARRS: cone radius (arcsec)"
    ),
    "ps1_choose": Param("nearest", type="string", enum=["nearest", "all"], title="PanSTARRS: objects in the cone"),
    "broker_radius_arcsec": Param(
        2.0, type="number", exclusiveMinimum=0, maximum=60, title="Brokers (Fink, ALeRCE): cone radius (arcsec)"
    ),
    "broker_choose": Param("nearest", type="string", enum=["nearest", "all"], title="Brokers: objects in the cone"),
    "ztf_baseline_before_mjd": Param(
        None,
        type=["null", "number"],
        title="ZTF: baseline correction before MJD",
        description="Subtract the median pre-event flux per field/CCD/quadrant/filter (empty: off)",
    ),
}

with DAG(
    dag_id="fphot_target",
    schedule=None,
    params=PARAMS,
    render_template_as_native_obj=True,
    tags=["fphot", "forced-photometry"],
    default_args=default_args(),
    doc_md=__doc__,
) as dag:

    @task
    def validate(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Fail fast, naming the field, before any service is asked anything."""
        from fphot_provider.failures import fail_fast
        from fphot_provider.sinks import parse_spec
        from fphot_provider.targets import QueryWindow, Target

        with fail_fast():  # bad input fails at once: a retry would meet the same values
            target = Target.parse(params["target_name"], params["ra"], params["dec"])
            window = QueryWindow.parse(params["mjd_min"], params["mjd_max"])
            parse_spec(params["sink"])
        return {"target": target.to_dict(), "window": window.to_dict()}

    @task.branch
    def choose_services(params: dict[str, Any] | None = None) -> list[str]:
        """Run only the branches of the services asked for."""
        return [f"{name}.fetch" for name in params["services"]]

    parser_options = {"snr_threshold": "{{ params.snr_threshold }}"}
    query = {
        "target_name": "{{ params.target_name }}",
        "ra": "{{ params.ra }}",
        "dec": "{{ params.dec }}",
        # The window validated once, so every service asks for the same one (even "now").
        "mjd_min": "{{ ti.xcom_pull(task_ids='validate')['window']['mjd_min'] }}",
        "mjd_max": "{{ ti.xcom_pull(task_ids='validate')['window']['mjd_max'] }}",
    }

    with TaskGroup("atlas") as atlas:
        # deferrable=True whatever [operators] default_deferrable says: waiting is this DAG's job.
        atlas_fetch = AtlasForcedPhotometryOperator(
            task_id="fetch",
            deferrable=True,
            use_reduced="{{ params.use_reduced }}",
            poll_interval=5,
            max_poll_interval=60,
            **query,
        )
        PhotometryProcessorOperator(
            task_id="process", product=atlas_fetch.output, sink="{{ params.sink }}", parser_options=parser_options
        )

    plot = LightCurvePlotOperator(
        task_id="plot",
        target_name="{{ params.target_name }}",
        sink="{{ params.sink }}",
        trigger_rule="none_failed_min_one_success",
    )

    with TaskGroup("ztf") as ztf:
        # Polls no more often than [fphot] ztf_min_poll_seconds (120 s): the status page is slow.
        ztf_fetch = ZtfForcedPhotometryOperator(task_id="fetch", deferrable=True, **query)
        PhotometryProcessorOperator(
            task_id="process",
            product=ztf_fetch.output,
            sink="{{ params.sink }}",
            parser_options={**parser_options, "baseline_before_mjd": "{{ params.ztf_baseline_before_mjd }}"},
        )

    with TaskGroup("panstarrs") as panstarrs:
        ps1_fetch = PanstarrsPhotometryOperator(
            task_id="fetch", radius_arcsec="{{ params.ps1_radius_arcsec }}", choose="{{ params.ps1_choose }}", **query
        )
        PhotometryProcessorOperator(
            task_id="process", product=ps1_fetch.output, sink="{{ params.sink }}", parser_options=parser_options
        )

    brokers = []
    for service in BROKER_SERVICES:
        with TaskGroup(service) as group:
            broker_fetch = BrokerForcedPhotometryOperator(
                task_id="fetch",
                service=service,
                radius_arcsec="{{ params.broker_radius_arcsec }}",
                choose="{{ params.broker_choose }}",
                **query,
            )
            PhotometryProcessorOperator(
                task_id="process", product=broker_fetch.output, sink="{{ params.sink }}", parser_options=parser_options
            )
        brokers.append(group)

    validate() >> choose_services() >> [atlas, ztf, panstarrs, *brokers]
    [atlas, ztf, panstarrs, *brokers] >> plot
