"""Group commit: concurrent callers share writes, each gets its own result, failures reach every caller."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shopsync.sync.intake.group_commit import GroupCommit


class Recorder:
    """A write that records its batches; it can be held open so callers pile up behind it."""

    def __init__(self, fail_on: str | None = None):
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_on = fail_on

    def __call__(self, items):
        self.batches.append(list(items))
        self.entered.set()
        assert self.release.wait(5)
        if self.fail_on in items:
            raise ConnectionError("database went away")
        return [item.upper() for item in items]


def held_write(recorder: Recorder, group: GroupCommit, first: str, others: list[str], pool: ThreadPoolExecutor):
    """Start `first` and hold its write open until every one of `others` is queued behind it."""
    recorder.release.clear()
    leading = pool.submit(group.submit, first)
    assert recorder.entered.wait(5)
    following = [pool.submit(group.submit, item) for item in others]
    while len(group._waiting) < len(others):
        threading.Event().wait(0.001)
    recorder.release.set()
    return leading, following


def test_a_lone_caller_writes_at_once_and_alone():
    recorder = Recorder()
    group = GroupCommit(recorder)
    assert group.submit("a") == "A"
    assert group.submit("b") == "B"
    assert recorder.batches == [["a"], ["b"]]


def test_callers_arriving_during_a_write_share_the_next_one_and_each_gets_its_own_result():
    recorder = Recorder()
    group = GroupCommit(recorder)
    with ThreadPoolExecutor(8) as pool:
        leading, following = held_write(recorder, group, "first", [f"item-{n}" for n in range(6)], pool)
        assert leading.result(5) == "FIRST"
        assert [future.result(5) for future in following] == [f"ITEM-{n}" for n in range(6)]
    assert recorder.batches[0] == ["first"]
    assert sorted(recorder.batches[1]) == [f"item-{n}" for n in range(6)]
    assert len(recorder.batches) == 2


def test_a_failed_write_fails_every_caller_in_it_and_the_next_write_goes_ahead():
    recorder = Recorder(fail_on="item-2")
    group = GroupCommit(recorder)
    with ThreadPoolExecutor(8) as pool:
        leading, following = held_write(recorder, group, "first", ["item-1", "item-2", "item-3"], pool)
        assert leading.result(5) == "FIRST"
        for future in following:
            with pytest.raises(ConnectionError):
                future.result(5)
    recorder.fail_on = None
    assert group.submit("later") == "LATER"


def test_batches_are_capped_and_the_writer_goes_round_again_for_its_own_item():
    recorder = Recorder()
    group = GroupCommit(recorder, max_batch=2)
    with ThreadPoolExecutor(8) as pool:
        leading, following = held_write(recorder, group, "first", ["b", "c", "d", "e", "f"], pool)
        assert leading.result(5) == "FIRST"
        assert sorted(future.result(5) for future in following) == ["B", "C", "D", "E", "F"]
    assert all(len(batch) <= 2 for batch in recorder.batches)
    assert sorted(item for batch in recorder.batches[1:] for item in batch) == ["b", "c", "d", "e", "f"]


def test_a_write_that_returns_the_wrong_number_of_results_fails_its_callers():
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        group.submit("a")
