"""Group commit: callers that arrive while a write is in flight are written together by the next one.

Each caller blocks until its own item is written and gets its own result. Nothing waits
on a timer: a caller that finds no write in flight writes at once (alone, when traffic is
light), and everything that queued up behind a write goes out in the following one. Under
load, one database round trip and one commit serve many requests.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Waiter(Generic[Item, Result]):
    __slots__ = ("item", "result", "error", "done")

    def __init__(self, item: Item):
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: Callable[[Sequence[Item]], Sequence[Result]], max_batch: int = 100):
        """`write` takes a batch and returns one result per item, in order; if it raises, every
        caller in the batch gets the exception."""
        self._write = write
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._waiting: list[_Waiter[Item, Result]] = []
        self._writing = False

    def submit(self, item: Item) -> Result:
        waiter: _Waiter[Item, Result] = _Waiter(item)
        with self._changed:
            self._waiting.append(waiter)
        while True:
            with self._changed:
                while self._writing and not waiter.done:
                    self._changed.wait()
                if waiter.done:
                    break
                # No write in flight: this caller writes what has queued up, oldest first (its own
                # item may be beyond max_batch, in which case it goes round again).
                self._writing = True
                batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
            self._write_batch(batch)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _write_batch(self, batch: list[_Waiter[Item, Result]]) -> None:
        try:
            results = self._write([waiter.item for waiter in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} items")
            for waiter, result in zip(batch, results):
                waiter.result = result
        except BaseException as error:  # every caller in the batch fails: nothing is acknowledged unwritten
            for waiter in batch:
                waiter.error = error
        finally:
            with self._changed:
                for waiter in batch:
                    waiter.done = True
                self._writing = False
                self._changed.notify_all()
