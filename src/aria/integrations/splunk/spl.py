"""CommonQuery -> SPL (Splunk's Search Processing Language).

``search index="aria" risk_id="42" title="*disk*" earliest=1717329600 latest=1717333200``

Values sit in double quotes with ``\\`` and ``"`` backslash-escaped, so no value can end its
literal or add search terms. Field names are restricted by ``CommonQuery`` to letters, digits,
``_`` and ``.``. The search command treats ``*`` as a wildcard even inside quotes and has no way
to escape it; for a value that contains ``*`` the wildcard term (a superset) is followed by an
exact ``| where match(...)`` on the escaped value. ``earliest`` is inclusive, ``latest``
exclusive, both epoch seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aria.sdk.siem import CommonQuery, FieldFilter, quote


def epoch(moment: datetime) -> str:
    """Epoch seconds for ``earliest=``/``latest=`` (naive means UTC; milliseconds kept)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    seconds = aware.timestamp()
    return str(int(seconds)) if seconds.is_integer() else f"{seconds:.3f}"


def term(flt: FieldFilter) -> str:
    """``field="value"`` (eq) or ``field="*value*"`` (contains); case-insensitive, as Splunk
    compares search terms."""
    pattern = f"*{flt.value}*" if flt.op == "contains" else flt.value
    return f"{flt.field}={quote(pattern)}"


def exact(flt: FieldFilter) -> str:
    """An eval condition that holds exactly when the filter does (for values with ``*``)."""
    body = re.escape(flt.value)
    regex = f"(?i)^{body}$" if flt.op == "eq" else f"(?i){body}"
    return f"match('{flt.field}', {quote(regex)})"


def translate(query: CommonQuery, *, index: str | None = None) -> str:
    """The SPL for ``query``; ``index`` (the installation's) applies unless a filter names one."""
    parts = ["search"]
    if index and not any(f.field == "index" for f in query.filters):
        parts.append(f"index={quote(index)}")
    parts.extend(term(f) for f in query.filters)
    if len(parts) == 1:
        parts.append("*")
    if query.start is not None:
        parts.append(f"earliest={epoch(query.start)}")
    if query.end is not None:
        parts.append(f"latest={epoch(query.end)}")
    spl = " ".join(parts)
    literal = [exact(f) for f in query.filters if "*" in f.value]
    if literal:
        spl += " | where " + " AND ".join(literal)
    return spl
