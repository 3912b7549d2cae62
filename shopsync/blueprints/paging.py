"""Keyset paging arguments shared by the list pages."""
from __future__ import annotations

from flask import request

from ..inputs import named, optional_row_id


def before_arg() -> int | None:
    """The id a page continues before (`?before=`), or None for the first page; 400 for anything else."""
    return named("before", optional_row_id, request.args.get("before"))
