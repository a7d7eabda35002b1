"""1,000 ATLAS jobs waiting at once in one event loop, as the Airflow triggerer runs them.

Run: .venv/bin/python benchmarks/deferred_jobs.py [JOBS]
Prints the loop's memory, status requests per job and the delay from a job's end to its
event, for the trigger's backoff (x1.5 per poll, capped) against a baseline of constant
polling run in the same process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
import time

from fphot_provider.emulators import atlas
from fphot_provider.emulators.common import STATS_KEY, EmulatorServer
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.atlas import AtlasJobTrigger

QUEUE, RUN = 20.0, 5.0


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def wait_all(urls: list[str], finish: dict[str, float], poll: float, cap: float) -> list[float]:
    async def one(url: str) -> float:
        async for _event in AtlasJobTrigger(task_url=url, poll_interval=poll, max_poll_interval=cap).run():
            return time.time() - finish[url]
        return float("nan")

    return await asyncio.gather(*(one(url) for url in urls))


def scenario(jobs: int, poll: float, cap: float) -> dict[str, float]:
    config = atlas.AtlasConfig(queue_seconds=QUEUE, run_seconds=RUN, submits_per_minute=0, max_queued=jobs + 10)
    with EmulatorServer(atlas.create_app(config)) as server:
        os.environ["AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT"] = json.dumps(
            {"conn_type": "fphot_atlas", "host": server.url, "password": "demo-token"}
        )
        hook, window = AtlasHook(), QueryWindow.parse(60000, 60030)
        urls = []
        for start in range(0, jobs, 100):
            targets = [Target.parse(f"t{i}", (i * 0.3) % 360, 10) for i in range(start, min(jobs, start + 100))]
            urls += [task.url for task in hook.submit_batch(targets, window)]
        state = atlas.state_of(server.app)
        finish = {url: state.tasks[int(url.rstrip("/").split("/")[-1])]["submitted"] + QUEUE + RUN for url in urls}
        before = rss_mb()
        delays = asyncio.run(wait_all(urls, finish, poll, cap))
        polls = server.app[STATS_KEY]["GET status"]
    delays.sort()
    return {
        "rss_growth_mb": rss_mb() - before,
        "requests_per_job": polls / jobs,
        "median_delay_s": delays[len(delays) // 2],
        "p95_delay_s": delays[int(len(delays) * 0.95)],
    }


def main() -> None:
    logging.disable(logging.INFO)  # a thousand "not finished yet" lines per round say nothing here
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(f"{jobs} jobs, each queued {QUEUE:.0f} s + running {RUN:.0f} s at the emulator; first poll after 2 s")
    backoff = scenario(jobs, poll=2.0, cap=10.0)
    constant = scenario(jobs, poll=2.0, cap=2.0)
    for name, row in (("backoff x1.5, cap 10 s", backoff), ("constant 2 s (baseline)", constant)):
        print(
            f"{name:26s}: {row['requests_per_job']:.1f} status requests/job, end->event median "
            f"{row['median_delay_s']:.1f} s, p95 {row['p95_delay_s']:.1f} s, loop memory +{row['rss_growth_mb']:.0f} MB"
        )
    print(f"requests ratio backoff/constant: {backoff['requests_per_job'] / constant['requests_per_job']:.2f}x")


if __name__ == "__main__":
    main()
