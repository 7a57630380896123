"""The webhook tasks on the queue: process accepted deliveries, send outbound ones, and a
sweep (every minute) that re-enqueues whatever the queue lost and purges expired seen-ids."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from huey import Huey, crontab
from huey.api import TaskWrapper

if TYPE_CHECKING:
    from aria.runtime import Runtime


@dataclass
class WebhookTasks:
    process_task: TaskWrapper
    deliver_task: TaskWrapper
    sweep: TaskWrapper

    def process(self, event_ids: list[uuid.UUID], delay: float = 0) -> None:
        """One task for a batch of inbound events (the writer's commit batch)."""
        args = ([str(i) for i in event_ids],)
        if delay > 0:
            self.process_task.schedule(args, delay=delay)
        else:
            self.process_task(*args)

    def deliver(self, delivery_ids: list[uuid.UUID], delay: float = 0) -> None:
        args = ([str(i) for i in delivery_ids],)
        if delay > 0:
            self.deliver_task.schedule(args, delay=delay)
        else:
            self.deliver_task(*args)


def register_webhook_tasks(huey: Huey, current: Callable[[], Runtime]) -> WebhookTasks:
    """Attach the webhook tasks to ``huey`` and route lifecycle events to outbound fan-out."""
    holder: dict[str, WebhookTasks] = {}

    def enqueue_events(ids: list[uuid.UUID], delay: float) -> None:
        holder["tasks"].process(ids, delay)

    def enqueue_deliveries(ids: list[uuid.UUID], delay: float) -> None:
        for delivery_id in ids:  # one task each: a slow target must not hold up the others
            holder["tasks"].deliver([delivery_id], delay)

    @huey.task(name="aria.webhook-process")
    def process_task(event_ids: list[str]) -> dict[str, Any]:
        from aria.webhooks.processing import process

        outcome = process(current(), [uuid.UUID(i) for i in event_ids], enqueue=enqueue_events)
        return {"processed": outcome.processed, "retrying": outcome.retrying, "dead": outcome.dead}

    @huey.task(name="aria.webhook-deliver")
    def deliver_task(delivery_ids: list[str]) -> dict[str, str]:
        from aria.webhooks.outbound import deliver

        runtime = current()
        return {i: deliver(runtime, uuid.UUID(i), enqueue=enqueue_deliveries) for i in delivery_ids}

    @huey.periodic_task(crontab(minute="*"), name="aria.webhook-sweep", expires=120)
    def sweep() -> dict[str, int]:
        from aria.webhooks.processing import chunks
        from aria.webhooks.processing import sweep as run_sweep

        found = run_sweep(current())
        for batch in chunks(found.events):
            enqueue_events(batch, 0)
        enqueue_deliveries(found.deliveries, 0)
        return {"events": len(found.events), "deliveries": len(found.deliveries)}

    holder["tasks"] = WebhookTasks(
        process_task=process_task, deliver_task=deliver_task, sweep=sweep
    )

    from aria.webhooks.outbound import attach

    attach(current, enqueue_deliveries)
    return holder["tasks"]
