"""Live state comes by one mechanism (blueprints/live.py): no page element polls by a timer of its own."""
from __future__ import annotations

import re
from pathlib import Path

import shopsync

PACKAGE = Path(shopsync.__file__).parent
THE_POLLER = PACKAGE / "templates" / "partials" / "live_poller.html"
TIMED_TRIGGER = re.compile(r"""hx-trigger\s*=\s*["'][^"']*\bevery\b""")
TIMERS = re.compile(r"\bsetInterval\s*\(|htmx\.ajax\s*\(")


def test_only_the_live_poller_polls_by_a_timer():
    templates = sorted((PACKAGE / "templates").rglob("*.html"))
    assert THE_POLLER in templates and TIMED_TRIGGER.search(THE_POLLER.read_text())
    polling = [str(path.relative_to(PACKAGE)) for path in templates
               if path != THE_POLLER and TIMED_TRIGGER.search(path.read_text())]
    assert not polling, f"these templates poll by themselves; watch them with a live section instead: {polling}"


def test_no_script_of_ours_polls_by_a_timer():
    scripts = [path for path in (PACKAGE / "static").glob("*.js")]
    assert scripts
    polling = [path.name for path in scripts if TIMERS.search(path.read_text())]
    assert not polling, f"these scripts poll by themselves: {polling}"
