"""The embedded default's sandbox state, kept in the instance folder next to ShopSync's own SQLite database.

The simulators keep their shops, catalogs and tokens in memory; `make run` again would otherwise start them
empty while ShopSync's database remembers the demo store and its TikTok shops. So the serving process saves
a snapshot of each simulator's state at most once a second when it changed, and at exit, and restores it at
start. The snapshot is generic: every attribute of a simulator object that pickles is kept (a new kind of
state, such as orders or listings, is kept without code here), and of an attribute that does not (it holds
a thread or a lock), the attributes inside it that do; except the names a class lists in TRANSIENT
(settings come from today's configuration; locks, threads and request records are of one run).

The file is written by this process into the app's private instance folder (where the secret keys live too)
and read only from there; it is never taken from anywhere else.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import pickle
import threading
import time
from contextlib import ExitStack

log = logging.getLogger(__name__)

SAVE_EVERY_SECONDS = 1.0
MAX_DEPTH = 3
OWN_CLASSES = "shopsync.sandbox"  # state is looked for inside the simulators' own objects, not in a Thread's


class Snapshots:
    def __init__(self, path: str, **simulators):
        self.path = path
        self.simulators = simulators
        self._digest: str | None = None
        self._saving = threading.Lock()

    def restore(self) -> bool:
        """Put the saved state back into the simulators; False when there is none (or it is unreadable)."""
        try:
            with open(self.path, "rb") as file:
                saved = pickle.load(file)
        except FileNotFoundError:
            return False
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as error:
            log.warning("the sandbox snapshot %s could not be read (%s); starting the sandbox afresh",
                        self.path, error)
            return False
        for name, simulator in self.simulators.items():
            with simulator.lock:
                _put_back(simulator, saved.get(name, {}))
        return True

    def save(self) -> bool:
        """Write the snapshot if the state changed since the last write; True when it wrote."""
        with self._saving, ExitStack() as locks:
            for simulator in self.simulators.values():
                locks.enter_context(simulator.lock)
            blob = pickle.dumps({name: _kept(simulator) for name, simulator in self.simulators.items()},
                                protocol=pickle.HIGHEST_PROTOCOL)
            digest = hashlib.sha256(blob).hexdigest()
            if digest == self._digest:
                return False
            temporary = f"{self.path}.{os.getpid()}.tmp"
            # Owner-only, like the database and the keys beside it: the snapshot holds the sandbox's tokens.
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
                file.write(blob)
            os.replace(temporary, self.path)  # a crash mid-write leaves the previous snapshot whole
            self._digest = digest
            return True

    def keep(self) -> threading.Thread:
        """Save in the background from now on, and once more at exit."""
        atexit.register(self.save)
        thread = threading.Thread(target=self._loop, name="sandbox-snapshots", daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        while True:
            time.sleep(SAVE_EVERY_SECONDS)
            try:
                self.save()
            except Exception:  # noqa: BLE001 - keep saving; the next tick tries again
                log.exception("saving the sandbox snapshot failed")


class _Inside(dict):
    """The state inside an object that cannot be kept whole (it holds a thread or a lock): its own picklable
    attributes, put back into the object the simulator's __init__ makes afresh."""


def _kept(obj, depth: int = 0) -> dict:
    """An object's attributes that are state: not TRANSIENT, picklable, or (a few levels down) the picklable
    state inside an attribute that holds a lock or a thread (webhook subscriptions beside their sender)."""
    transient = set(getattr(type(obj), "TRANSIENT", ()))
    kept = {}
    for name, value in vars(obj).items():
        if name in transient:
            continue
        try:
            pickle.dumps(value)
        except (pickle.PicklingError, TypeError, AttributeError):
            if depth < MAX_DEPTH and type(value).__module__.startswith(OWN_CLASSES):
                kept[name] = _Inside(_kept(value, depth + 1))
            continue  # a lock, a thread, a connection: rebuilt by the simulator's own __init__
        kept[name] = value
    return kept


def _put_back(obj, kept: dict) -> None:
    for name, value in kept.items():
        if isinstance(value, _Inside):
            if hasattr(obj, name):
                _put_back(getattr(obj, name), value)
        else:
            setattr(obj, name, value)
