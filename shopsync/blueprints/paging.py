"""Keyset paging arguments shared by the list pages."""
from __future__ import annotations

from flask import request


def before_arg() -> int | None:
    """The id a page continues before (`?before=`), or None for the first page."""
    before = request.args.get("before", "")
    return int(before) if before.isdigit() else None
