"""DAGs whose tasks have retries, to show that what no retry can fix fails at once."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param

from fphot_provider.operators.atlas import AtlasForcedPhotometryOperator
from fphot_provider.operators.panstarrs import PanstarrsPhotometryOperator
from fphot_provider.operators.processing import PhotometryProcessorOperator
from fphot_provider.operators.ztf import ZtfForcedPhotometryOperator

PARAMS = {
    "ra": Param(10.0, type=["number", "string"]),
    "dec": Param(20.0, type=["number", "string"]),
    "mjd_min": Param(60000.0, type=["null", "number", "string"]),
    "mjd_max": Param(60060.0, type=["null", "number", "string"]),
    "sink": Param("file", type="string"),
}
QUERY = {
    "target_name": "fail fast",
    **{name: f"{{{{ params.{name} }}}}" for name in ("ra", "dec", "mjd_min", "mjd_max")},
}
# Short waits between tries: a task that retried would show try_number 3 (and not hang the test).
RETRYING = {"retries": 2, "retry_delay": timedelta(seconds=1)}
OPERATORS = {
    "atlas": AtlasForcedPhotometryOperator,
    "ztf": ZtfForcedPhotometryOperator,
    "panstarrs": PanstarrsPhotometryOperator,
}

for service, operator in OPERATORS.items():
    with DAG(
        dag_id=f"fphot_test_fail_fast_{service}",
        schedule=None,
        params=PARAMS,
        render_template_as_native_obj=True,
        default_args=RETRYING,
    ) as dag:
        polls = {} if service == "panstarrs" else {"deferrable": True, "poll_interval": 0.2, "max_poll_interval": 0.5}
        fetch = operator(task_id="fetch", **polls, **QUERY)
        PhotometryProcessorOperator(task_id="process", product=fetch.output, sink="{{ params.sink }}")
    globals()[dag.dag_id] = dag
