"""Webhook deliveries from a simulated platform: signed POSTs from a background thread, retried on failure.

Deliveries are at least once and may be duplicated, shuffled, delayed, held back or dropped on request,
because that is what ShopSync must cope with from the real platforms. Each platform brings its own
headers (signature included) and its own retry schedule.
"""
from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import requests


@dataclass
class Delivery:
    shop: str
    topic: str
    uri: str
    body: bytes
    webhook_id: str
    event_id: str
    triggered_at: str
    attempt: int = 0
    not_before: float = 0.0


@dataclass
class DeliveryControls:
    copies: int = 1  # each delivery is sent this many times
    shuffle: bool = False
    delay: float = 0.0  # seconds before each send
    paused: bool = False
    drop: int = 0  # the next N deliveries are lost on the way (never sent, never retried)


@dataclass
class Outbox:
    headers: Callable[[Delivery], dict]
    retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0)
    seed: int = 1
    timeout: float = 5.0
    name: str = "sandbox-webhooks"
    controls: DeliveryControls = field(default_factory=DeliveryControls)
    attempts: list[dict] = field(default_factory=list)  # every POST made (and every drop), newest last

    def __post_init__(self):
        self._queue: list[Delivery] = []
        self._in_flight = 0
        self._cond = threading.Condition()
        self._rng = random.Random(self.seed)
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def publish(self, shop: str, topic: str, payload: dict, uris: list[str], event_id: str | None = None) -> None:
        """One event to every uri; copies share the webhook and event ids (a redelivery)."""
        if not uris:
            return
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        event_id = event_id or str(uuid.uuid4())
        triggered_at = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        with self._cond:
            for uri in uris:
                webhook_id = str(uuid.uuid4())
                for _ in range(max(1, self.controls.copies)):
                    self._queue.append(Delivery(shop, topic, uri, body, webhook_id, event_id, triggered_at))
            self._start()
            self._cond.notify_all()

    def set_controls(self, **changes) -> DeliveryControls:
        with self._cond:
            for name, value in changes.items():
                if value is not None:
                    setattr(self.controls, name, type(getattr(self.controls, name))(value))
            self._cond.notify_all()
            return self.controls

    def release(self) -> None:
        self.set_controls(paused=False)

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def discard_pending(self) -> None:
        with self._cond:
            self._queue.clear()
            self._cond.notify_all()

    def attempts_for(self, shop: str | None = None) -> list[dict]:
        with self._cond:
            return [dict(a) for a in self.attempts if shop in (None, a["shop"])]

    def wait_until_drained(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _next(self) -> Delivery:
        with self._cond:
            while True:
                moment = time.monotonic()
                ready = [d for d in self._queue if d.not_before <= moment] if not self.controls.paused else []
                if ready:
                    chosen = self._rng.choice(ready) if self.controls.shuffle else ready[0]
                    self._queue.remove(chosen)
                    self._in_flight += 1
                    return chosen
                self._cond.wait(0.05)

    def _run(self) -> None:
        while True:
            delivery = self._next()
            try:
                if self.controls.delay:
                    time.sleep(self.controls.delay)
                self._send(delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _send(self, delivery: Delivery) -> None:
        with self._cond:
            dropped = self.controls.drop > 0 and delivery.attempt == 0
            if dropped:
                self.controls.drop -= 1
        status = None
        if dropped:
            outcome = "dropped"
        else:
            try:
                status = self._session.post(delivery.uri, data=delivery.body, headers=self.headers(delivery),
                                            timeout=self.timeout).status_code
            except requests.RequestException as error:
                outcome = type(error).__name__
            else:
                outcome = "delivered" if 200 <= status < 300 else "failed"
        with self._cond:
            self.attempts.append({"shop": delivery.shop, "topic": delivery.topic, "uri": delivery.uri,
                                  "webhook_id": delivery.webhook_id, "event_id": delivery.event_id,
                                  "attempt": delivery.attempt + 1, "status": status, "outcome": outcome,
                                  "at": time.time()})
            if outcome not in ("delivered", "dropped") and delivery.attempt < len(self.retry_delays):
                delivery.not_before = time.monotonic() + self.retry_delays[delivery.attempt]
                delivery.attempt += 1
                self._queue.append(delivery)
