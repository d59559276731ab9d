"""`commwatch train`: rebuild the shipped classifier from the labelled data, reproducibly.

The classifier is trained on each example's new text (quoted history and signature cut as
the tagger cuts them), by default from the labelled corpus (`nlp/data/corpus/train.jsonl`)
and the six written training sets (`nlp/data/written/`); other files may be given, such as a
team's own labelled messages. Inbound tags are judged on inbound messages only and
`abusive_language` on outbound ones only: a label that cannot apply to a message is a
missing value, not a negative. A fixed seed, a fixed order of
updates and CPU-only arithmetic make a rebuild byte-identical on one machine. BLIS picks its
matrix kernels by CPU, and kernels sum in different orders, so on another CPU the weights
differ in the last bits: the same tags, scores within 0.01 (tests/nlp/test_cli_nlp.py
checks both).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.training import Example as SpacyExample
from spacy.util import fix_random_seed, minibatch

from ingest.quotes import new_text_span
from nlp.dataset import TRAIN_FILES, Example, read_many
from nlp.labels import CLASSIFIER_TAGS, INBOUND_TAGS
from nlp.pipeline import CLASSIFIER_NAME, MODEL_DIR, build_untrained

SEED = 20261123


@dataclass(frozen=True)
class TrainSettings:
    seed: int = SEED
    epochs: int = 12
    batch_size: int = 16
    dropout: float = 0.1


def cats_for(example: Example) -> dict[str, float]:
    labels = set(example.labels or [])
    if example.direction == "outbound":
        return {"abusive_language": float("abusive_language" in labels)}
    return {tag: float(tag in labels) for tag in INBOUND_TAGS}


def train(
    data: Sequence[Path] = TRAIN_FILES,
    output: Path = MODEL_DIR,
    settings: TrainSettings = TrainSettings(),
    log: Callable[[str], object] = print,
) -> dict[str, float]:
    """Train on the files of `data`, write the pipeline to `output`; returns the last epoch's
    loss."""
    examples = read_many(data, require_labels=True)
    fix_random_seed(settings.seed)
    nlp = build_untrained()
    textcat = nlp.get_pipe(CLASSIFIER_NAME)
    for label in CLASSIFIER_TAGS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    train_set = []
    for ex in examples:
        doc = nlp.make_doc(ex.text[: new_text_span(ex.text)])
        train_set.append(SpacyExample.from_dict(doc, {"cats": cats_for(ex)}))
    rng = random.Random(settings.seed)
    losses: dict[str, float] = {}
    with nlp.select_pipes(enable=[CLASSIFIER_NAME]):
        optimizer = nlp.initialize(lambda: train_set)
        for epoch in range(settings.epochs):
            order = train_set[:]
            rng.shuffle(order)
            losses = {}
            for batch in minibatch(order, size=settings.batch_size):
                nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses)
            log(f"epoch {epoch + 1:>2}/{settings.epochs}  loss {losses[CLASSIFIER_NAME]:.4f}")
    if output.exists():
        shutil.rmtree(output)
    nlp.to_disk(output)
    return losses
