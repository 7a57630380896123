"""The sync tasks on the queue: run a job, schedule due installations, reap lost jobs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

if TYPE_CHECKING:
    from aria.runtime import Runtime


@dataclass
class SyncTasks:
    run: TaskWrapper
    schedule: TaskWrapper
    reap: TaskWrapper
    push: TaskWrapper

    def enqueue_push(self, installation_id: uuid.UUID, risk_id: int, action: str) -> None:
        self.push(str(installation_id), risk_id, action)

    def enqueue(self, job_id: uuid.UUID, delay: float = 0) -> None:
        if delay > 0:
            self.run.schedule((str(job_id),), delay=delay)
        else:
            self.run(str(job_id))


def register_sync_tasks(huey: Huey, current: Callable[[], Runtime]) -> SyncTasks:
    """Attach the sync tasks to ``huey``; ``current()`` gives the runtime they work with."""
    holder: dict[str, SyncTasks] = {}

    def enqueue(job_id: uuid.UUID, delay: float) -> None:
        holder["tasks"].enqueue(job_id, delay)

    @huey.task(name="aria.sync-job")
    def run(job_id: str) -> str:
        from aria.sync.runner import run_job

        return run_job(current(), uuid.UUID(job_id), enqueue=enqueue)

    @huey.periodic_task(crontab(minute="*"), name="aria.sync-schedule", expires=120)
    def schedule() -> int:
        from aria.sync.scheduler import schedule_due

        return schedule_due(current(), enqueue)

    @huey.periodic_task(crontab(minute="*"), name="aria.sync-reap", expires=120)
    def reap() -> int:
        from aria.sync.scheduler import reap_stale

        return reap_stale(current(), enqueue)

    @huey.task(name="aria.push-risk", retries=4, retry_delay=30)
    def push(installation_id: str, risk_id: int, action: str) -> bool:
        """Deliver a risk change to a ticketing/SIEM installation (TransientError → retry)."""
        from aria.grc.flows import push_risk

        return push_risk(current(), uuid.UUID(installation_id), risk_id, action).ok

    holder["tasks"] = SyncTasks(run=run, schedule=schedule, reap=reap, push=push)
    return holder["tasks"]
