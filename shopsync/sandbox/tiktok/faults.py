"""Failures the TikTok sandbox can be told to produce, for the next N calls or at random (seeded)."""
from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("rate_limit", "server_error", "timeout", "token_expired")


@dataclass
class _Rule:
    remaining: int = 0
    probability: float = 0.0
    path: str = ""  # only calls whose path contains this ("" = every call)
    after: bool = False  # strike once the call has run: its effect stays, its answer is an error or late

    def applies(self, path: str, after: bool) -> bool:
        return self.after == after and self.path in path


class Faults:
    def __init__(self, seed: int = 0):
        self._rules = {kind: _Rule() for kind in KINDS}
        self._rng = random.Random(seed)

    def set(self, kind: str, count: int = 0, probability: float = 0.0, seed: int | None = None, path: str = "",
            after: bool = False) -> None:
        if kind not in self._rules:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(KINDS)}")
        if not 0.0 <= probability <= 1.0 or count < 0:
            raise ValueError("count must be >= 0 and probability within [0, 1]")
        if after and kind not in ("server_error", "timeout"):
            raise ValueError("only server_error and timeout can strike after a call has run")
        self._rules[kind] = _Rule(remaining=count, probability=probability, path=path, after=after)
        if seed is not None:
            self._rng.seed(seed)

    def clear(self) -> None:
        for kind in KINDS:
            self._rules[kind] = _Rule()

    def draw(self, path: str = "", after: bool = False) -> str | None:
        """The fault this call should suffer, if any (counted faults first, in KINDS order)."""
        for kind, rule in self._rules.items():
            if rule.remaining and rule.applies(path, after):
                rule.remaining -= 1
                return kind
        for kind, rule in self._rules.items():
            if rule.probability and rule.applies(path, after) and self._rng.random() < rule.probability:
                return kind
        return None

    def as_json(self) -> dict:
        return {kind: {"count": r.remaining, "probability": r.probability, "path": r.path, "after": r.after}
                for kind, r in self._rules.items()}
