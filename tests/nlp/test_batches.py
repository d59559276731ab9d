"""Tagging in batches: the same results whatever the batch size, and Python's cyclic collector
paused while a batch is tagged (it walked the loaded pipeline's objects again and again), on
again afterwards, whatever the threads do."""

from __future__ import annotations

import gc
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from nlp.pipeline import Tagging, default_tagger

TEXTS = [
    "We were charged twice for INV-10023, please send a credit note.",
    "",
    "I'll pay $2,400 on Friday and the rest by the end of the month.",
    "Out of office until Monday 3 November.",
    "Please stop calling my mobile, write to our solicitors instead.",
    "Can you send a copy of invoice 88213? The PO number is missing.",
    "Thanks, noted.",
]
SENT = datetime(2026, 10, 29, 9, 30, tzinfo=UTC)


def _seen(result: Tagging) -> dict[str, Any]:
    return {"labels": result.labels, "scores": result.scores, "promise": result.promise,
            "evidence": [e.as_json() for e in result.evidence], "values": result.values}


def test_results_do_not_depend_on_the_batch_size() -> None:
    tagger = default_tagger()
    alone = [_seen(tagger.tag([t], ["inbound"], [SENT])[0]) for t in TEXTS]
    for size in (1, 2, 3, len(TEXTS)):
        batched = tagger.tag(TEXTS, ["inbound"] * len(TEXTS), [SENT] * len(TEXTS),
                             batch_size=size)
        assert [_seen(r) for r in batched] == alone, size
    assert alone[0]["labels"] == ["dispute"] and alone[2]["promise"]["amount"] == 2400


def test_no_collection_runs_inside_a_batch() -> None:
    inside: list[int] = []

    def during(phase: str, info: dict[str, int]) -> None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "_tag_batch":
                inside.append(info["generation"])
                return
            frame = frame.f_back

    texts = [t for t in TEXTS if t] * 100  # several thousand collections' worth of objects
    assert gc.isenabled()
    gc.callbacks.append(during)
    try:
        default_tagger().tag(texts, ["inbound"] * len(texts), [SENT] * len(texts),
                             batch_size=len(texts))
    finally:
        gc.callbacks.remove(during)
    assert inside == []
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        default_tagger().tag(TEXTS[:2])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_scanner_is_built_when_the_tagger_loads() -> None:
    """Working out where each rule may start takes a second or more and leaves tens of
    megabytes of parse trees to collect: at load, not inside the first batch tagged, where
    the collector is paused (the first batch's peak memory grew by 20 MB when it was)."""
    probe = (
        "from nlp.pipeline import Tagger\n"
        "from nlp.dates import SCANNER\n"
        "Tagger()\n"
        "import nlp.amounts\n"
        "print(any(p.pattern is nlp.amounts._NUMERIC for p in SCANNER.patterns),"
        " all(p.prefixes is not None for p in SCANNER.patterns))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["True", "True"]
