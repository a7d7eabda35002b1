"""A DAG using the fourth, test-only service: fetch -> the shared processor -> the file sink."""

from __future__ import annotations

from airflow.sdk import DAG, Param

from fphot_provider.operators.processing import PhotometryProcessorOperator
from tests.fourth_service.service import ExamplePhotometryOperator

with DAG(
    dag_id="fphot_test_example_service",
    schedule=None,
    params={
        "target_name": Param("example target"),
        "ra": Param(12.0),
        "dec": Param(-3.0),
        "mjd_min": Param(60000.0),
        "mjd_max": Param(60030.0),
    },
    render_template_as_native_obj=True,
) as dag:
    fetch = ExamplePhotometryOperator(
        task_id="fetch", **{k: f"{{{{ params.{k} }}}}" for k in ("target_name", "ra", "dec", "mjd_min", "mjd_max")}
    )
    PhotometryProcessorOperator(task_id="process", product=fetch.output)
