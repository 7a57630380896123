"""The installation's data mappings, compiled once per job and applied to each page."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.mapping.models import DataMapping
from aria.mapping.rules import Plan, compile_mappings

Mapper = Callable[[str, list[Any]], tuple[list[Any], int]]


def load_mapper(session: Session, installation_id: uuid.UUID) -> Mapper | None:
    """A mapper for the installation's active mappings (by stream = source type), or None.

    A stored spec that no longer validates raises `SpecError`: the job fails loudly instead
    of storing records the broken mapping should have changed.
    """
    rows = session.scalars(
        select(DataMapping).where(
            DataMapping.installation_id == installation_id, DataMapping.is_active.is_(True)
        )
    ).all()
    by_stream: dict[str, list[DataMapping]] = defaultdict(list)
    for row in rows:
        by_stream[row.source_type].append(row)
    plans: dict[str, Plan] = {
        stream: compile_mappings(group) for stream, group in by_stream.items()
    }
    if not plans:
        return None

    def mapper(stream: str, records: list[Any]) -> tuple[list[Any], int]:
        plan = plans.get(stream)
        if plan is None:
            return records, 0
        batch = plan.apply_all(records)
        return batch.records, batch.dropped + len(batch.errors)

    return mapper
