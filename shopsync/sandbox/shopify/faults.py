"""Failures tests can ask for: throttling, HTTP errors, slow answers, rejected tokens."""
from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("throttle", "http", "slow", "unauthorized")


@dataclass
class Fault:
    kind: str
    count: int | None = None  # next N calls; None with probability = every call by chance
    probability: float | None = None
    status: int | None = None  # for kind "http": 429, 500, 502, 503
    retry_after: float | None = None
    seconds: float = 0.0  # for kind "slow"
    shop: str | None = None  # None = every shop
    field: str | None = None  # only requests selecting this root field (e.g. "orderCreate")
    after: bool = False  # strike once the request has run: its effect stays, its answer is lost or late

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.kind == "http" and self.status not in (429, 500, 502, 503, 504):
            raise ValueError("http faults need status 429, 500, 502, 503 or 504")
        if self.count is None and self.probability is None:
            self.count = 1
        if self.after and self.kind not in ("http", "slow"):
            raise ValueError("only http and slow faults can strike after a request has run")

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class FaultPlan:
    """Decides which faults hit a call; callers hold the sandbox lock."""

    def __init__(self, seed: int):
        self.faults: list[Fault] = []
        self._rng = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def draw(self, shop: str, fields: frozenset[str] | None = None, after: bool = False) -> list[Fault]:
        """Faults striking this call: `fields` None is before the document is read (faults for any field),
        else the root fields it selects (faults for one of them), before (after=False) or after it ran."""
        hits = []
        for fault in list(self.faults):
            if fault.shop not in (None, shop) or fault.after != after:
                continue
            if (fields is None) != (fault.field is None) or (fault.field is not None and fault.field not in fields):
                continue
            if fault.probability is not None and self._rng.random() >= fault.probability:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
            hits.append(fault)
        return hits
