"""Shopify search syntax (the subset ShopSync uses) and opaque cursor pagination."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

_TERM = re.compile(r"""(?P<field>[a-z_]+):(?P<op><=|>=|<|>)?(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<bare>\S+))""")
_OPERATORS = {
    None: lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def parse_search(query: str | None) -> list[tuple[str, str | None, str]]:
    """Terms joined by AND (explicit or implied); unknown fields are ignored as Shopify does."""
    if not query:
        return []
    return [
        (m["field"], m["op"], m["sq"] if m["sq"] is not None else m["dq"] if m["dq"] is not None else m["bare"])
        for m in _TERM.finditer(query)
    ]


def _datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def matcher(query: str | None, fields: dict[str, Callable[[Any], Any]]) -> Callable[[Any], bool]:
    """A predicate over objects; `fields` maps search field names to getters."""
    tests = []
    for name, op, raw in parse_search(query):
        getter = fields.get(name)
        if getter is None:
            continue
        compare = _OPERATORS[op]
        if name.endswith("_at"):
            wanted = _datetime(raw)
            if wanted is None:
                continue
        elif name in ("id",):
            wanted = int(raw) if raw.isdigit() else -1
        else:
            wanted = raw.lower()
        tests.append((getter, compare, wanted))

    def one(value: Any, compare: Callable, wanted: Any) -> bool:
        if isinstance(value, str):
            value = value.lower()
        return value is not None and compare(value, wanted)

    def matches(item: Any) -> bool:
        for getter, compare, wanted in tests:
            value = getter(item)
            if isinstance(value, (list, tuple, set, frozenset)):  # e.g. tags: any of them matches
                if not any(one(v, compare, wanted) for v in value):
                    return False
            elif not one(value, compare, wanted):
                return False
        return True

    return matches


def encode_cursor(last_id: int, last_value: Any) -> str:
    if isinstance(last_value, datetime):
        last_value = last_value.isoformat()
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["last_id"]), data["last_value"]
    except (ValueError, KeyError, TypeError):
        return None


class InvalidCursor(Exception):
    pass


def page(
    items: Iterable[Any],
    *,
    key: Callable[[Any], Any],
    ident: Callable[[Any], int],
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    with_cursors: bool = True,
) -> tuple[Sequence[Any], dict, list[str]]:
    """Sort by (key, id), cut at the cursors, take first/last. Returns (items, pageInfo, cursors)."""
    def sort_key(item):
        value = key(item)
        return (value.isoformat() if isinstance(value, datetime) else value, ident(item))

    ordered = sorted(items, key=sort_key, reverse=reverse)
    if after is not None or before is not None:
        keyed = [(sort_key(item), item) for item in ordered]
        for cursor, keep_after in ((after, True), (before, False)):
            if cursor is None:
                continue
            decoded = decode_cursor(cursor)
            if decoded is None:
                raise InvalidCursor(cursor)
            mark = (decoded[1], decoded[0])
            if keep_after:
                keyed = [(k, i) for k, i in keyed if (k < mark if reverse else k > mark)]
            else:
                keyed = [(k, i) for k, i in keyed if (k > mark if reverse else k < mark)]
        ordered = [item for _, item in keyed]
    total = len(ordered)
    start, stop = 0, total
    if first is not None:
        stop = min(total, first)
    if last is not None:
        start = max(start, stop - last)
    chosen = ordered[start:stop]
    cursors = [encode_cursor(ident(item), sort_key(item)[0]) for item in chosen] if with_cursors else []
    info = {
        "hasNextPage": stop < total,
        "hasPreviousPage": start > 0 or after is not None,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }
    return chosen, info, cursors
