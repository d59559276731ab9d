"""Benchmark: tagging messages written in other languages beside English ones, and the cost
of telling a message's language.

    python bench/nlp_languages.py [--repeat 5] [--rounds 3]

Tags the written sets that are not trained on (`nlp/data/written/README.md`): the four in
Spanish, Portuguese, German, French, Italian and Polish, and four English ones of about the
same size, each side `--repeat` times over in batches of 256 with `Tagger.tag`, and reports
the best of `--rounds` by CPU time. Then times `LanguageGuesser.guess` alone on the NORM
columns of all those messages. Model loading and one warm-up batch are outside the timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.dataset import (  # noqa: E402
    BUILDING_FILE,
    FOODSERVICE_FILE,
    GERMAN_FRENCH_FILE,
    ITALIAN_POLISH_FILE,
    MEDICAL_FILE,
    MULTILINGUAL_FILE,
    SPANISH_PORTUGUESE_FILE,
    WHOLESALE_FILE,
    read_many,
)
from nlp.pipeline import Tagger  # noqa: E402

SIDES = {
    "six other languages": (MULTILINGUAL_FILE, SPANISH_PORTUGUESE_FILE, GERMAN_FRENCH_FILE,
                            ITALIAN_POLISH_FILE),
    "English": (FOODSERVICE_FILE, MEDICAL_FILE, BUILDING_FILE, WHOLESALE_FILE),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tagger = Tagger()
    lexicon = tagger.nlp.get_pipe("commwatch_lexicon")
    print(f"{'messages':>30} {'count':>7} {'words/msg':>10} {'CPU s':>7} {'msgs/CPU s':>11}")
    all_texts: list[str] = []
    for name, files in SIDES.items():
        examples = read_many(files)
        texts = [e.text for e in examples] * args.repeat
        directions = [e.direction for e in examples] * args.repeat
        sent = [e.sent_at for e in examples] * args.repeat
        all_texts += [e.text for e in examples]
        tagger.tag(texts[:256], directions[:256], sent[:256])
        best = float("inf")
        for _ in range(args.rounds):
            start = time.process_time()
            tagger.tag(texts, directions, sent)
            best = min(best, time.process_time() - start)
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"{name:>30} {len(texts):>7} {words:>10.0f} {best:>7.2f} {len(texts) / best:>11.0f}")
    norms = [[t.norm for t in tagger.nlp.make_doc(text)] for text in all_texts]
    guesser = lexicon.languages  # type: ignore[attr-defined]
    for columns in norms:
        guesser.guess(columns)  # warm the word cache, as a running pipeline has it
    best = float("inf")
    for _ in range(args.rounds):
        start = time.process_time()
        for columns in norms:
            guesser.guess(columns)
        best = min(best, time.process_time() - start)
    print(f"language guess: {best / len(norms) * 1e6:.1f} µs a message "
          f"({len(norms)} messages, {sum(map(len, norms)) / len(norms):.0f} tokens on average)")


if __name__ == "__main__":
    main()
