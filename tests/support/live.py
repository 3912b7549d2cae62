"""Reading the page's one live poll (/live) as the browser does: what it watches, and the hashes it sends back."""
from __future__ import annotations

import re
from urllib.parse import urlencode

WATCHED = re.compile(r'data-live="([a-z_]+)"(?: data-live-id="([0-9,]*)")?')
EVERY = re.compile(r'hx-trigger="every')


def watched(page: str) -> list[str]:
    """The `w` values static/live.js sends for this page: one per section, its ids in page order."""
    groups: dict[str, list[str]] = {}
    for name, ids in WATCHED.findall(page):
        group = groups.setdefault(name, [])
        if ids and ids not in group:
            group.append(ids)
    return [f"{name}:{','.join(ids)}" if ids else name for name, ids in groups.items()]


class Poller:
    """The page's #live element: each poll sends the hashes and pace of the answer before it."""

    def __init__(self, client, page: str):
        self.client, self.page = client, page
        self.next_url = re.search(r'<div id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")

    def poll(self, watch: list[str] | None = None):
        watch = watched(self.page) if watch is None else watch
        joiner = "&" if "?" in self.next_url else "?"
        answer = self.client.get(self.next_url + joiner + urlencode([("w", value) for value in watch]))
        if answer.status_code == 200:
            self.next_url = re.search(r'<div id="live"[^>]*hx-get="([^"]+)"', answer.get_data(as_text=True)
                                      ).group(1).replace("&amp;", "&")
        return answer


def self_polling(html: str) -> int:
    """How many elements poll by a timer of their own (the page's one #live poller included)."""
    return len(EVERY.findall(html))
