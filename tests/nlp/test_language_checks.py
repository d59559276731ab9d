"""The language check sentences (`nlp/data/checks/`): what customers write in six languages,
each with the tags it must and must not get, 35-43% of them hard negatives.

They were written with the language lexicons (`nlp/data/written/README.md`, seventh round)
and are not all passed: each language keeps the count it passes now, so a change that loses
sentences, or makes more hard negatives fire, fails here.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from nlp import Tagger

CHECKS = Path(__file__).resolve().parents[2] / "nlp" / "data" / "checks"
SENT = datetime.fromisoformat("2026-11-24T10:00:00+01:00")
# Sentences passed now (es 738 of 758, pt 449 of 464, de 667 of 709, fr 519 of 538, it 452 of
# 463, pl 437 of 460) and sentences given a tag they must not get (14, 6, 25, 13, 7, 13),
# with two sentences' room for classifier scores that round otherwise on other CPUs.
PASSED = {"es": 736, "pt": 447, "de": 665, "fr": 517, "it": 450, "pl": 435}
NEGATIVES_FAILING = {"es": 16, "pt": 8, "de": 27, "fr": 15, "it": 9, "pl": 15}


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def _failures(tagger: Tagger, language: str) -> tuple[int, list[str], list[str]]:
    checks = [json.loads(line) for line in
              (CHECKS / f"{language}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    results = tagger.tag([c["text"] for c in checks],
                         [c.get("direction", "inbound") for c in checks], [SENT] * len(checks))
    missed, unwanted = [], []
    for check, result in zip(checks, results, strict=True):
        if any(tag not in result.labels for tag in check.get("expect", [])):
            missed.append(check["text"])
        if any(tag in result.labels for tag in check.get("not", [])):
            unwanted.append(check["text"])
    return len(checks), missed, unwanted


@pytest.mark.parametrize("language", sorted(PASSED))
def test_language_checks_keep_what_they_pass(tagger: Tagger, language: str) -> None:
    total, missed, unwanted = _failures(tagger, language)
    passed = total - len(set(missed) | set(unwanted))
    assert passed >= PASSED[language], (
        f"{language}: {passed} of {total} pass, was {PASSED[language]}; "
        f"missed e.g. {missed[:3]}, unwanted e.g. {unwanted[:3]}")
    assert len(unwanted) <= NEGATIVES_FAILING[language], unwanted
