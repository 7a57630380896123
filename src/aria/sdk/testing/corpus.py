"""Real vendor samples for the normalizer check: where the corpus lives and how to read it.

The corpus (``../shared/corpus`` beside the checkout, or ``ARIA_CORPUS_DIR``) holds real
third-party API responses. A :class:`CorpusSample` names one file, the stream whose
``normalize`` must accept its records, and where the records sit inside the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aria.sdk.paths import resolve

ENV_VAR = "ARIA_CORPUS_DIR"


@dataclass(frozen=True)
class CorpusSample:
    """One real sample: ``path`` relative to the corpus root, records at ``records``.

    ``records`` is a dotted path (``"resources"``, ``"data.items"``); ``None`` means the
    file's top level is the list (or a single record when it is an object).
    """

    stream: str
    path: str
    records: str | None = "resources"

    @property
    def id(self) -> str:
        """Readable test id: ``alerts:vendor-api/x/y.json``."""
        return f"{self.stream}:{self.path}"


def find_corpus_root(
    explicit: str | os.PathLike[str] | None = None, anchors: Iterable[Path] = ()
) -> Path | None:
    """The corpus directory: ``explicit``, else ``$ARIA_CORPUS_DIR``, else the first
    ``shared/corpus`` found walking up from each anchor (a checkout's ``../shared/corpus``)."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        path = Path(chosen).expanduser()
        return path if path.is_dir() else None
    for anchor in anchors:
        start = anchor if anchor.is_dir() else anchor.parent
        for parent in (start, *start.parents):
            candidate = parent / "shared" / "corpus"
            if candidate.is_dir():
                return candidate
    return None


def load_corpus_records(root: Path, sample: CorpusSample) -> list[Any]:
    """The records of ``sample`` (raises FileNotFoundError, ValueError with a clear reason)."""
    file = root / sample.path
    if not file.is_file():
        raise FileNotFoundError(f"corpus sample {sample.path!r} not found under {root}")
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"corpus sample {sample.path!r} is not JSON ({exc})") from None
    found = resolve(body, sample.records, None)
    if found is None:
        where = sample.records or "the top level"
        raise ValueError(f"corpus sample {sample.path!r} has nothing at {where!r}")
    if isinstance(found, dict) and not sample.records:
        return [found]
    if not isinstance(found, list):
        raise ValueError(
            f"corpus sample {sample.path!r}: {sample.records!r} holds a "
            f"{type(found).__name__}, not a list of records"
        )
    return found


__all__ = ["ENV_VAR", "CorpusSample", "find_corpus_root", "load_corpus_records"]
