"""An Airflow listener plugin for benchmarks/monitor_scale.py: the CPU each task's own work used.

Installed into the benchmark's plugins folder only. It notes ``time.process_time()`` when a
task process starts the task (after Airflow's start-up, imports and DAG parsing) and writes the
difference when the task ends, so the figure is the operators' work (requests, parsing,
writing), not Airflow's cost of starting a process. Work before a deferral is not counted (no
listener hook fires there); the fetch operators only submit before deferring.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

_started: dict[str, float] = {}


class TaskCpu:
    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        _started["cpu"] = time.process_time()

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        _note(task_instance)

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        _note(task_instance)


def _note(task_instance: Any) -> None:
    used = time.process_time() - _started.pop("cpu", time.process_time())
    line = json.dumps({"task_id": task_instance.task_id, "cpu": used})
    with open(os.environ["FPHOT_BENCH_CPU_FILE"], "a", encoding="utf-8") as out:
        out.write(line + "\n")


class TaskCpuPlugin(AirflowPlugin):
    name = "fphot_bench_task_cpu"
    listeners = [TaskCpu()]
