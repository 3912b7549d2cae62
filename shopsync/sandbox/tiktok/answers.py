"""What an Open API endpoint answers: TikTok's envelope fields, or a refusal carrying its error code."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Answer:
    code: int = 0
    message: str = "Success"
    data: dict = field(default_factory=dict)
    http_status: int = 200
    retry_after: int | None = None
    delay: float = 0.0  # seconds to stall before answering (the timeout fault)


class Refused(Exception):
    def __init__(self, code: int, message: str, http_status: int = 200, retry_after: int | None = None):
        super().__init__(message)
        self.answer = Answer(code=code, message=message, data={}, http_status=http_status,
                             retry_after=retry_after)


def page_size(call, largest: int) -> int:
    """The call's page_size query parameter, refused outside 1..largest."""
    value = call.query.get("page_size", "")
    if not value.isdigit() or not 1 <= int(value) <= largest:
        raise Refused(36009004, f"Invalid param: page_size must be between 1 and {largest}")
    return int(value)


def body_of(call) -> dict:
    """The call's JSON body as an object ({} when there is none)."""
    if call.body is None:
        return {}
    if not isinstance(call.body, dict):
        raise Refused(36009004, "Invalid param: the body must be a JSON object")
    return call.body


def cursor_page(items: list, position: Callable[[Any], tuple[int, int]], size: int, token: str,
                descending: bool) -> tuple[list, str]:
    """One page after the cursor `token` and the token of the next page ("" on the last one). A cursor,
    not an offset: rows added while a client pages never shift what it sees."""
    ordered = sorted(items, key=position, reverse=descending)
    if token:
        try:
            after = tuple(json.loads(base64.urlsafe_b64decode(token.encode())))
        except ValueError:
            after = ()
        if len(after) != 2 or not all(isinstance(v, int) for v in after):
            raise Refused(36009004, "Invalid param: page_token")
        ordered = [i for i in ordered if (position(i) < after if descending else position(i) > after)]
    page = ordered[:size]
    following = base64.urlsafe_b64encode(json.dumps(list(position(page[-1]))).encode()).decode() \
        if len(ordered) > size else ""
    return page, following
