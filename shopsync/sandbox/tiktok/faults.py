"""Failures the TikTok sandbox can be told to produce, for the next N calls or at random (seeded)."""
from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("rate_limit", "server_error", "timeout", "token_expired")


@dataclass
class _Rule:
    remaining: int = 0
    probability: float = 0.0


class Faults:
    def __init__(self, seed: int = 0):
        self._rules = {kind: _Rule() for kind in KINDS}
        self._rng = random.Random(seed)

    def set(self, kind: str, count: int = 0, probability: float = 0.0, seed: int | None = None) -> None:
        if kind not in self._rules:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(KINDS)}")
        if not 0.0 <= probability <= 1.0 or count < 0:
            raise ValueError("count must be >= 0 and probability within [0, 1]")
        self._rules[kind] = _Rule(remaining=count, probability=probability)
        if seed is not None:
            self._rng.seed(seed)

    def clear(self) -> None:
        for kind in KINDS:
            self._rules[kind] = _Rule()

    def draw(self) -> str | None:
        """The fault this call should suffer, if any (counted faults first, in KINDS order)."""
        for kind, rule in self._rules.items():
            if rule.remaining:
                rule.remaining -= 1
                return kind
        for kind, rule in self._rules.items():
            if rule.probability and self._rng.random() < rule.probability:
                return kind
        return None

    def as_json(self) -> dict:
        return {kind: {"count": r.remaining, "probability": r.probability} for kind, r in self._rules.items()}
