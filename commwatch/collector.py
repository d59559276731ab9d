"""Process-level settings for a piece of heavy work: the cyclic garbage collector paused."""

from __future__ import annotations

import gc
import threading
from contextlib import ContextDecorator
from types import TracebackType

_lock = threading.Lock()
_holders = 0
_resume = False  # whether the collector was on when the first holder paused it


class collection_deferred(ContextDecorator):  # noqa: N801  (reads as a decorator)
    """Holds the cyclic garbage collector off while a piece of work runs; it resumes afterwards.

    Used around a monitor sweep (`commwatch.service`) and around each batch of messages
    tagged (`nlp.pipeline.Tagger.tag`). Both allocate far more objects than survive them, and
    every collection those allocations set off walks every object in the process, the
    loaded pipeline's few hundred thousand among them. A sweep over a large store set off
    four or five full collections, about a quarter of the time of a warm sweep on the
    1M-message bench; tagging spent about a tenth of its time in the collector. Reference
    counting still frees everything acyclic as it goes; only reference cycles made meanwhile
    wait for the collector, which runs again on its usual thresholds once the work is over.
    Nested or concurrent holders, in any thread, share one pause: the collector comes back
    when the last of them leaves, and a collector that was already off stays off.
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
