"""Small DAGs that exercise the batch operators (ATLAS radeclist, ZTF batch) alone, for the tests."""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param

from fphot_provider.operators.atlas_batch import AtlasBatchForcedPhotometryOperator
from fphot_provider.operators.ztf_batch import ZtfBatchForcedPhotometryOperator


def batch_dag(dag_id: str, operator: Any, mjd_max: float, *, deferrable: bool = True) -> DAG:
    """One batch fetch over the ``targets`` Param, polling fast (the emulators answer in seconds)."""
    with DAG(
        dag_id=dag_id,
        schedule=None,
        params={"targets": Param([], type="array"), "mjd_min": Param(60000.0), "mjd_max": Param(mjd_max)},
        render_template_as_native_obj=True,
    ) as dag:
        operator(
            task_id="fetch",
            deferrable=deferrable,
            targets="{{ params.targets }}",
            mjd_min="{{ params.mjd_min }}",
            mjd_max="{{ params.mjd_max }}",
            poll_interval=0.2,
            max_poll_interval=0.5,
        )
    return dag


fphot_test_atlas_batch = batch_dag("fphot_test_atlas_batch", AtlasBatchForcedPhotometryOperator, 60060.0)
fphot_test_atlas_batch_blocking = batch_dag(
    "fphot_test_atlas_batch_blocking", AtlasBatchForcedPhotometryOperator, 60060.0, deferrable=False
)
fphot_test_ztf_batch = batch_dag("fphot_test_ztf_batch", ZtfBatchForcedPhotometryOperator, 60100.0)
