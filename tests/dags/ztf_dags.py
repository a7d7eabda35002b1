"""A small DAG that exercises the ZTF operator alone, for the tests."""

from __future__ import annotations

from airflow.sdk import DAG, Param

from fphot_provider.operators.processing import PhotometryProcessorOperator
from fphot_provider.operators.ztf import ZtfForcedPhotometryOperator

PARAMS = {
    "target_name": Param("ztf target", type="string"),
    "ra": Param(150.0, type=["number", "string"]),
    "dec": Param(30.0, type=["number", "string"]),
    "mjd_min": Param(60000.0, type=["null", "number", "string"]),
    "mjd_max": Param(60100.0, type=["null", "number", "string"]),
}
QUERY = {name: f"{{{{ params.{name} }}}}" for name in PARAMS}

with DAG(dag_id="fphot_test_ztf", schedule=None, params=PARAMS, render_template_as_native_obj=True) as dag:
    fetch = ZtfForcedPhotometryOperator(
        task_id="fetch", deferrable=True, poll_interval=0.2, max_poll_interval=0.5, **QUERY
    )
    PhotometryProcessorOperator(task_id="process", product=fetch.output)

with DAG(
    dag_id="fphot_test_ztf_sensor",
    schedule=None,
    params={
        "ra": Param(0.0, type="number"),
        "dec": Param(0.0, type="number"),
        "jd_start": Param(0.0, type="number"),
        "jd_end": Param(0.0, type="number"),
    },
    render_template_as_native_obj=True,
) as sensor_dag:
    from fphot_provider.sensors.ztf import ZtfJobSensor

    ZtfJobSensor(
        task_id="wait",
        deferrable=True,
        ra="{{ params.ra }}",
        dec="{{ params.dec }}",
        jd_start="{{ params.jd_start }}",
        jd_end="{{ params.jd_end }}",
        poke_interval=0.2,
        max_poll_interval=0.5,
    )
