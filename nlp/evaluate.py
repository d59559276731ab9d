"""`commwatch eval`: how right the tags and promises are on a labelled file.

Per tag precision, recall, F1 and support; micro and macro F1 (macro over the tags that
occur in the file or are predicted); promise amount and date accuracy over the promises the
file states one for (a missed promise_to_pay counts as a wrong amount and date: that is
what the collector sees); which tags stand in for which when they are wrong; and the
slowest and the most wrong examples, so a reader can look at them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from nlp.dataset import Example
from nlp.labels import ALL_TAGS
from nlp.pipeline import Tagger, Tagging


@dataclass
class Scored:
    example: Example
    tagging: Tagging
    seconds: float


def tag_examples(tagger: Tagger, examples: list[Example]) -> list[Scored]:
    """Each example tagged on its own, so its time is its own."""
    scored = []
    for ex in examples:
        start = time.perf_counter()
        tagging = tagger.tag(
            [ex.text], [ex.direction or "inbound"], [ex.sent_at], channels=[ex.channel]
        )[0]
        scored.append(Scored(ex, tagging, time.perf_counter() - start))
    return scored


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _same_amount(gold: Any, got: Any) -> bool:
    if gold is None or got is None:
        return gold is None and got is None
    return abs(float(gold) - float(got)) < 0.005


def report(scored: list[Scored]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {tag: Counter() for tag in ALL_TAGS}
    missed_as: dict[str, Counter[str]] = {tag: Counter() for tag in ALL_TAGS}
    false_with: dict[str, Counter[str]] = {tag: Counter() for tag in ALL_TAGS}
    amount_ok = amount_n = date_ok = date_n = currency_ok = 0
    wrongness = []
    for item in scored:
        gold = set(item.example.labels or [])
        got = set(item.tagging.labels)
        for tag in ALL_TAGS:
            key = "tp" if tag in gold and tag in got else "fn" if tag in gold else (
                "fp" if tag in got else "tn"
            )
            counts[tag][key] += 1
        for tag in gold - got:
            missed_as[tag].update(sorted(got - gold) or ["(nothing)"])
        for tag in got - gold:
            false_with[tag].update(sorted(gold - got) or ["(nothing)"])
        error = sum(
            abs((tag in gold) - item.tagging.scores.get(tag, 0.0))
            for tag in gold | got
        )
        gold_promise = item.example.promise or {}
        got_promise = item.tagging.promise or {}
        promise_notes = []
        if "promise_to_pay" in gold and gold_promise.get("amount") is not None:
            amount_n += 1
            same = _same_amount(gold_promise["amount"], got_promise.get("amount"))
            amount_ok += same
            currency_ok += same and gold_promise.get("currency") == got_promise.get("currency")
            if not same:
                promise_notes.append(
                    f"amount {got_promise.get('amount')} != {gold_promise['amount']}"
                )
        if "promise_to_pay" in gold and gold_promise.get("date"):
            date_n += 1
            same_date = got_promise.get("date") == gold_promise["date"]
            date_ok += same_date
            if not same_date:
                promise_notes.append(f"date {got_promise.get('date')} != {gold_promise['date']}")
                error += 0.5
        if gold != got or promise_notes:
            wrongness.append((error, item, promise_notes))

    per_tag = {}
    tp_all = fp_all = fn_all = 0
    for tag in ALL_TAGS:
        c = counts[tag]
        support = c["tp"] + c["fn"]
        if support == 0 and c["fp"] == 0:
            continue
        precision, recall, f1 = _f1(c["tp"], c["fp"], c["fn"])
        per_tag[tag] = {
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": support, "predicted": c["tp"] + c["fp"],
        }
        tp_all, fp_all, fn_all = tp_all + c["tp"], fp_all + c["fp"], fn_all + c["fn"]
    micro = _f1(tp_all, fp_all, fn_all)[2]
    macro = sum(t["f1"] for t in per_tag.values()) / len(per_tag) if per_tag else 0.0
    wrongness.sort(key=lambda w: -w[0])
    slowest = sorted(scored, key=lambda s: -s.seconds)[:5]
    total = sum(s.seconds for s in scored)
    return {
        "examples": len(scored),
        "per_tag": per_tag,
        "micro_f1": round(micro, 4),
        "macro_f1": round(macro, 4),
        "exact_match": round(
            sum(set(s.example.labels or []) == set(s.tagging.labels) for s in scored)
            / max(len(scored), 1), 4,
        ),
        "promise": {
            "with_amount": amount_n,
            "amount_accuracy": round(amount_ok / amount_n, 4) if amount_n else None,
            "amount_and_currency_accuracy": round(currency_ok / amount_n, 4) if amount_n else None,
            "with_date": date_n,
            "date_accuracy": round(date_ok / date_n, 4) if date_n else None,
        },
        "confusion": {
            "missed": {t: dict(c.most_common()) for t, c in missed_as.items() if c},
            "false": {t: dict(c.most_common()) for t, c in false_with.items() if c},
        },
        "seconds_per_message": round(total / max(len(scored), 1), 6),
        "slowest": [
            {"id": s.example.id, "ms": round(s.seconds * 1000, 2), "chars": len(s.example.text)}
            for s in slowest
        ],
        "most_wrong": [
            {
                "id": item.example.id,
                "gold": sorted(item.example.labels or []),
                "predicted": item.tagging.labels,
                "scores": {k: v for k, v in item.tagging.scores.items() if v >= 0.05},
                "promise": notes,
                "text": item.example.text[:300],
            }
            for _error, item, notes in wrongness[:10]
        ],
        "version": scored[0].tagging.version if scored else None,
    }
