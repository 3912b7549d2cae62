"""Live state: one coalesced poll per page, answered with out-of-band swaps.

Every element that shows sync state says what it shows (`data-live="links" data-live-id="5"`); one element of
base.html (#live) polls `/live` for all of them, the list gathered at each poll (static/live.js), so what an
HTMX swap brought in later (a run's progress, refreshed rows) is watched too. Each watched section renders
the same partial the page rendered, marked for an out-of-band swap, so every part updates in place from one
request. The answer carries a short hash of each piece it rendered (a row, a run's progress, the dashboard);
the next poll sends them back, and only the pieces whose hash changed are sent again: 204 while none did.
Polls come every FAST_SECONDS while something is on its way (a push due, an import running), every
IDLE_SECONDS otherwise, and not at all while the tab is hidden (static/live.js).

Why a poll and not server-sent events: production serves from gunicorn gthread workers with 4 threads each,
and an open event stream holds one of them for as long as the tab is open, so eight open tabs would take
every thread of a two-worker server; one short request every few seconds holds a thread for milliseconds.

Other pages add their own section with `@section("name")`: a function of the section's argument (text after
the colon) returning a Fragment. It reads only the merchant's rows: a list drops ids that are not theirs, a
section about one object (an order, a listing) answers 404 for them as the object's page does. Table rows go
out inside a <template> (a row cannot stand alone in HTML; htmx swaps what a template holds out of band).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

bp = Blueprint("live", __name__)

FAST_SECONDS = 2
IDLE_SECONDS = 10
MAX_SECTIONS = 10
_SECTION = re.compile(r"^([a-z_]{1,30})(?::([0-9,]{0,2400}))?$")


PIECE = "<!--live-piece-->"  # between the pieces of a section's HTML that change on their own (rows)
HASH_CHARS = 6
MAX_PIECES = 1000


@dataclass(frozen=True)
class Fragment:
    html: str  # elements with ids already on the page, each marked hx-swap-oob; pieces split by PIECE
    settling: bool = False  # something is on its way: poll fast

    @property
    def pieces(self) -> list[str]:
        return [piece for piece in self.html.split(PIECE) if piece.strip()]


SECTIONS: dict[str, Callable[[str], Fragment]] = {}


def section(name: str):
    """Register a live section: `fn(argument) -> Fragment`, run in the merchant's request (tenant-scoped)."""

    def register(fn: Callable[[str], Fragment]) -> Callable[[str], Fragment]:
        SECTIONS[name] = fn
        return fn

    return register


def ids(argument: str, limit: int = 200) -> list[int]:
    """The ids of a section argument like "4,5,6" (what a page shows, so at most a page's worth)."""
    return [int(part) for part in argument.split(",") if part.isdigit()][:limit]


def _watched(values: list[str]) -> list[tuple[str, str]]:
    watched = []
    for value in values[:MAX_SECTIONS]:
        match = _SECTION.match(value)
        if match and match.group(1) in SECTIONS:
            watched.append((match.group(1), match.group(2) or ""))
    return watched


def render(watched: list[tuple[str, str]]) -> tuple[list[str], bool]:
    fragments = [SECTIONS[name](argument) for name, argument in watched]
    return [piece for f in fragments for piece in f.pieces], any(f.settling for f in fragments)


def poller(hashes: str = "", settling: bool = True, oob: bool = False) -> str:
    """The polling element: its first poll (no hashes) swaps in whatever changed since the page was rendered."""
    return render_template("partials/live_poller.html", hashes=hashes,
                           seconds=FAST_SECONDS if settling else IDLE_SECONDS, oob=oob)


@bp.get("/live")
@login_required
def poll():
    pieces, settling = render(_watched(request.args.getlist("w")))
    hashes = [hashlib.sha256(piece.encode()).hexdigest()[:HASH_CHARS] for piece in pieces]
    known = request.args.get("h", "")[:HASH_CHARS * MAX_PIECES]
    known = [known[i:i + HASH_CHARS] for i in range(0, len(known), HASH_CHARS)]
    if len(known) != len(hashes):  # what the page watches changed: everything again
        known = [""] * len(hashes)
    changed = [piece for piece, new, old in zip(pieces, hashes, known) if new != old]
    headers = {"Cache-Control": "no-store"}
    seconds = FAST_SECONDS if settling else IDLE_SECONDS
    if not changed and request.args.get("t") == str(seconds):
        return Response(status=204, headers=headers)
    return Response("".join(changed) + poller("".join(hashes), settling, oob=True), headers=headers)
