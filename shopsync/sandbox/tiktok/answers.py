"""What an endpoint of the simulated Open API answers: a success, or a refusal in TikTok's envelope."""
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
