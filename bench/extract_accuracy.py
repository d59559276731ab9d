"""Accuracy of the extraction layer (nlp/extract.py) on the labelled corpus.

```sh
.venv/bin/python bench/extract_accuracy.py            # both splits, figures only
.venv/bin/python bench/extract_accuracy.py --show     # plus every mismatch
.venv/bin/python bench/extract_accuracy.py --split dev --show
.venv/bin/python bench/extract_accuracy.py --focus tagger   # focus from the shipped tagger
```

For every gold promise it runs `extract_promise` on the message's new text (quoted history
cut by `ingest.quotes.reply_text`, as ingest does). By default `focus=()`: the extractor has
to find the promise sentence itself, which is the harder case and the one that holds when the
tagger's evidence is missing or off. `--focus tagger` instead passes the sentences holding the
shipped tagger's `promise_to_pay` / `dispute` evidence, as the pipeline does (falling back to
no focus where the tagger missed the label).

It reports exact-match rates for amount, currency, amount+currency and date (over all
promises, and over those whose gold date is not null), and for instalments (the whole
schedule must match). Invoice references are scored against the gold `invoices`
lists of every message (precision / recall over distinct reference strings), and
`dispute_reason` against every message labelled `dispute`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.quotes import reply_text  # noqa: E402
from nlp.extract import Span, dispute_reason, extract_promise, invoice_refs, sentences  # noqa: E402

CORPUS = ROOT / "nlp" / "data" / "corpus"


@dataclass
class Tally:
    hits: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hits += ok
        self.total += 1

    def __str__(self) -> str:
        rate = 100 * self.hits / self.total if self.total else 0.0
        return f"{rate:6.1f}%  ({self.hits}/{self.total})"


@dataclass
class Report:
    amount: Tally = field(default_factory=Tally)
    currency: Tally = field(default_factory=Tally)
    amount_currency: Tally = field(default_factory=Tally)
    date_all: Tally = field(default_factory=Tally)
    date_stated: Tally = field(default_factory=Tally)
    instalments: Tally = field(default_factory=Tally)
    no_false_instalments: Tally = field(default_factory=Tally)
    ref_tp: int = 0
    ref_fp: int = 0
    ref_fn: int = 0
    reason: Tally = field(default_factory=Tally)
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    extract_seconds: float = 0.0  # in extract_promise, invoice_refs and dispute_reason alone
    messages: int = 0


def rows(split: str) -> Iterator[dict[str, Any]]:
    with (CORPUS / f"{split}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def score_promise(row: dict[str, Any], text: str, focus: list[Span], report: Report) -> None:
    gold = row["promise"]
    sent_at = datetime.fromisoformat(row["sent_at"]) if row.get("sent_at") else None
    found = extract_promise(text, sent_at, focus)
    got = found.to_json() if found else {"amount": None, "currency": None, "date": None}
    amount_ok = got["amount"] == gold["amount"]
    currency_ok = got["currency"] == gold["currency"]
    date_ok = got["date"] == gold["date"]
    report.amount.add(amount_ok)
    report.currency.add(currency_ok)
    report.amount_currency.add(amount_ok and currency_ok)
    report.date_all.add(date_ok)
    if gold["date"] is not None:
        report.date_stated.add(date_ok)
    gold_plan, got_plan = gold.get("instalments"), got.get("instalments")
    plan_ok = gold_plan == got_plan
    if gold_plan:
        report.instalments.add(plan_ok)
    else:
        report.no_false_instalments.add(got_plan is None)
    if not (amount_ok and currency_ok and date_ok and plan_ok):
        report.mismatches.append(
            f"[promise] {row['id']} sent {row['sent_at']}\n  text: {_one_line(text)}\n"
            f"  gold: {json.dumps(gold)}\n  got:  {json.dumps(got)}"
        )


def score_refs(row: dict[str, Any], text: str, report: Report) -> None:
    gold = set(row.get("invoices", []))
    got = {r.text for r in invoice_refs(text)}
    report.ref_tp += len(gold & got)
    report.ref_fp += len(got - gold)
    report.ref_fn += len(gold - got)
    if gold != got:
        report.mismatches.append(
            f"[refs] {row['id']}\n  text: {_one_line(text)}\n"
            f"  missed: {sorted(gold - got)}  extra: {sorted(got - gold)}"
        )


def score_reason(row: dict[str, Any], text: str, focus: list[Span], report: Report) -> None:
    got = dispute_reason(text, focus)
    report.reason.add(got == row["dispute_reason"])
    if got != row["dispute_reason"]:
        report.mismatches.append(
            f"[reason] {row['id']} gold {row['dispute_reason']} got {got}\n"
            f"  text: {_one_line(text)}"
        )


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def tagger_focus(texts: list[str], data: list[dict[str, Any]]) -> list[dict[str, list[Span]]]:
    """Per message, the sentences holding the tagger's evidence for each label."""
    from nlp import default_tagger

    sent_ats = [datetime.fromisoformat(r["sent_at"]) if r.get("sent_at") else None for r in data]
    taggings = default_tagger().tag(texts, [r.get("direction") for r in data], sent_ats)
    out = []
    for text, tagging in zip(texts, taggings, strict=True):
        spans = sentences(text)
        by_label: dict[str, list[Span]] = {}
        for ev in tagging.evidence:
            hit = [s for s in spans if s[0] <= ev.start < s[1]]
            by_label.setdefault(ev.label, []).extend(hit or [(ev.start, ev.end)])
        out.append(by_label)
    return out


def evaluate(split: str, focus_from: str) -> Report:
    report = Report()
    data = list(rows(split))
    texts = [reply_text(row["text"]) for row in data]
    started = time.perf_counter()
    focus = tagger_focus(texts, data) if focus_from == "tagger" else [{} for _ in data]
    extract_promise("We will pay $5 on Friday.", None)  # warm-up: first use compiles scanners
    for row, text, spans in zip(data, texts, focus, strict=True):
        extract_started = time.perf_counter()
        if row.get("promise"):
            score_promise(row, text, spans.get("promise_to_pay", []), report)
        score_refs(row, text, report)
        if "dispute" in row.get("labels", []):
            score_reason(row, text, spans.get("dispute", []), report)
        report.extract_seconds += time.perf_counter() - extract_started
    report.messages = len(data)
    report.seconds = time.perf_counter() - started
    return report


def print_report(split: str, report: Report, show: bool) -> None:
    precision = report.ref_tp / max(1, report.ref_tp + report.ref_fp)
    recall = report.ref_tp / max(1, report.ref_tp + report.ref_fn)
    print(f"== {split} ({report.seconds:.2f}s; extraction "
          f"{1000 * report.extract_seconds / max(1, report.messages):.3f} ms a message)")
    print(f"  promise amount            {report.amount}")
    print(f"  promise currency          {report.currency}")
    print(f"  promise amount+currency   {report.amount_currency}")
    print(f"  promise date (all)        {report.date_all}")
    print(f"  promise date (stated)     {report.date_stated}")
    print(f"  instalment schedules      {report.instalments}")
    print(f"  no spurious instalments   {report.no_false_instalments}")
    print(f"  invoice refs  precision {100 * precision:5.1f}%  recall {100 * recall:5.1f}%"
          f"  (tp {report.ref_tp}, fp {report.ref_fp}, fn {report.ref_fn})")
    print(f"  dispute reason            {report.reason}")
    if show:
        for line in report.mismatches:
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("train", "dev", "both"), default="both")
    parser.add_argument("--show", action="store_true", help="list every mismatch")
    parser.add_argument("--focus", choices=("none", "tagger"), default="none",
                        help="no focus (default), or the shipped tagger's evidence sentences")
    args = parser.parse_args()
    for split in ("train", "dev") if args.split == "both" else (args.split,):
        print_report(split, evaluate(split, args.focus), args.show)


if __name__ == "__main__":
    main()
