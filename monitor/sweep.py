"""Process-level settings for running a monitor sweep."""

from __future__ import annotations

import gc
import threading
from contextlib import ContextDecorator
from types import TracebackType

_lock = threading.Lock()
_holders = 0
_resume = False  # whether the collector was on when the first holder paused it


class collection_deferred(ContextDecorator):  # noqa: N801  (reads as a decorator)
    """Holds the cyclic garbage collector off while a sweep runs; it resumes afterwards.

    A sweep builds tens of thousands of findings that live until it ends. Each batch of them
    that survives a young collection counts towards a full one, so a sweep over a large store
    set off four or five full collections, each walking every object in the process: about a
    quarter of the time of a warm sweep on the 1M-message bench. Reference counting still
    frees everything acyclic as it goes; only reference cycles made during the sweep wait for
    the collector, which runs again on its usual thresholds once the sweep is over. Nested or
    concurrent holders share one pause, and a collector that was already off stays off.
    """

    def __enter__(self) -> collection_deferred:
        global _holders, _resume
        with _lock:
            if _holders == 0:
                _resume = gc.isenabled()
                gc.disable()
            _holders += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _holders
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
