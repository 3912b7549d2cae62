"""What an Open API endpoint answers: TikTok's envelope fields, or a refusal carrying its error code."""
from __future__ import annotations

from dataclasses import dataclass, field


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
