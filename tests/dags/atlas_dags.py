"""Small DAGs that exercise the ATLAS operator and sensor alone, for the tests."""

from __future__ import annotations

from airflow.sdk import DAG, Param

from fphot_provider.operators.atlas import AtlasForcedPhotometryOperator
from fphot_provider.operators.processing import PhotometryProcessorOperator
from fphot_provider.sensors.atlas import AtlasJobSensor

PARAMS = {
    "target_name": Param("test target", type="string"),
    "ra": Param(10.0, type=["number", "string"]),
    "dec": Param(20.0, type=["number", "string"]),
    "mjd_min": Param(60000.0, type=["null", "number", "string"]),
    "mjd_max": Param(60060.0, type=["null", "number", "string"]),
}
QUERY = {name: f"{{{{ params.{name} }}}}" for name in PARAMS}

for dag_id, deferrable in (("fphot_test_atlas", True), ("fphot_test_atlas_blocking", False)):
    with DAG(dag_id=dag_id, schedule=None, params=PARAMS, render_template_as_native_obj=True) as dag:
        fetch = AtlasForcedPhotometryOperator(
            task_id="fetch", deferrable=deferrable, poll_interval=0.2, max_poll_interval=0.5, **QUERY
        )
        PhotometryProcessorOperator(task_id="process", product=fetch.output)
    globals()[dag_id] = dag

with DAG(
    dag_id="fphot_test_atlas_sensor",
    schedule=None,
    params={"task_url": Param("", type="string")},
    render_template_as_native_obj=True,
) as sensor_dag:
    AtlasJobSensor(
        task_id="wait", deferrable=True, task_url="{{ params.task_url }}", poke_interval=0.2, max_poll_interval=0.5
    )

with DAG(
    dag_id="fphot_test_panstarrs",
    schedule=None,
    params={**PARAMS, "mjd_min": Param(55000.0, type=["null", "number"]), "choose": Param("nearest", type="string")},
    render_template_as_native_obj=True,
) as ps1_dag:
    from fphot_provider.operators.panstarrs import PanstarrsPhotometryOperator

    ps1 = PanstarrsPhotometryOperator(task_id="fetch", choose="{{ params.choose }}", radius_arcsec=5, **QUERY)
    PhotometryProcessorOperator(task_id="process", product=ps1.output)

with DAG(
    dag_id="fphot_test_ps1_chunk",
    schedule=None,
    params={"queries": Param([], type="array")},
    render_template_as_native_obj=True,
) as ps1_chunk_dag:
    from fphot_provider.operators.panstarrs import PanstarrsChunkOperator

    PanstarrsChunkOperator(task_id="fetch", queries="{{ params.queries }}", workers=3, radius_arcsec=5)
