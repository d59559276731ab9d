"""Reading labelled JSONL (TAXONOMY.md evaluation input), with errors that name file and line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nlp.labels import ALL_TAGS

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
TRAIN_FILE = CORPUS / "train.jsonl"
DEV_FILE = CORPUS / "dev.jsonl"
# Messages written by hand apart from the corpus and the tagger (nlp/data/written/README.md):
# ten sets join the training data; the held-out sets and the later probes are not trained on.
WRITTEN = Path(__file__).resolve().parent / "data" / "written"
WRITTEN_TRAIN_FILES = tuple(
    WRITTEN / f"{name}.jsonl"
    for name in ("email", "chat", "industrial", "smallbiz", "calls", "europe", "threads",
                 "southasia", "calltalk", "teamschat", "spanish", "portuguese_polish",
                 "german_french_italian")
)
HELDOUT_FILE = WRITTEN / "heldout.jsonl"
HELDOUT2_FILE = WRITTEN / "heldout2.jsonl"
HELDOUT3_FILE = WRITTEN / "heldout3.jsonl"
WHOLESALE_FILE = WRITTEN / "wholesale.jsonl"
HELDOUT4_FILE = WRITTEN / "heldout4.jsonl"
BUILDING_FILE = WRITTEN / "building.jsonl"
FOODSERVICE_FILE = WRITTEN / "foodservice.jsonl"
MEDICAL_FILE = WRITTEN / "medical.jsonl"
MULTILINGUAL_FILE = WRITTEN / "multilingual.jsonl"
# Three more sets in other languages, measured unseen and not trained on: adding them to
# training lifted multilingual.jsonl 0.764 -> 0.794 but cost every English held-out set a
# little (nlp/data/written/README.md, sixth round).
SPANISH_PORTUGUESE_FILE = WRITTEN / "spanish_portuguese.jsonl"
GERMAN_FRENCH_FILE = WRITTEN / "german_french.jsonl"
ITALIAN_POLISH_FILE = WRITTEN / "italian_polish.jsonl"
# Spanish, Portuguese, German and French at a distributor of farm machinery parts: measured
# unseen, then read to find what the language lexicons and extraction miss; not trained on.
LANGUAGES_DEV_FILE = WRITTEN / "languages_dev.jsonl"
# Replies that open with the words automatic acknowledgements use ("thank you for your email",
# "nous avons bien reçu votre message"), and acknowledgements that are automatic: measured
# unseen, then read; not trained on.
COURTESY_FILE = WRITTEN / "courtesy.jsonl"
# Promises and their values said every way (auto parts, September 2026 - January 2027), and
# second-language English from Turkey to Japan (IT hardware): measured unseen, then read; not
# trained on.
PROMISES_FILE = WRITTEN / "promises.jsonl"
ASIA_MIDEAST_FILE = WRITTEN / "asia_mideast.jsonl"
# What a supplier's AP mailbox gets from its customers' payables side (remittance advices,
# portal notices, rejections, people in AP), and disputes with what only looks like one:
# measured unseen, then read; not trained on.
AP_NOTICES_FILE = WRITTEN / "ap_notices.jsonl"
DISPUTES_FILE = WRITTEN / "disputes.jsonl"
# Messages later in a conversation (disputes settled or reopened, promises kept, moved or
# taken back, holds, questions whether a credit is already taken off), and sums written the
# world's ways (dinars, won, dong, 万, juta, kr): measured unseen, then read; not trained on.
FOLLOWUPS_FILE = WRITTEN / "followups.jsonl"
WORLDMONEY_FILE = WRITTEN / "worldmoney.jsonl"
# Promises written wholly in Spanish, Portuguese, German, French, Italian and Polish, with
# their sums and dates the local way: measured unseen, then read (twelfth round).
LANGPROMISES_FILE = WRITTEN / "langpromises.jsonl"
# A second set of promises in the same six languages (bicycles and outdoor equipment), and
# English replies inside conversations with a collector (short answers, promises kept, moved
# or taken back, absences written by a person): measured unseen, then read; not trained on.
LANGPROMISES2_FILE = WRITTEN / "langpromises2.jsonl"
REPLIES_FILE = WRITTEN / "replies.jsonl"
# A distributor of fuel, lubricants, tyres and fleet supplies at the year end: customers in
# thirteen countries, calls and chat with local sums; measured unseen, then read (fifteenth
# round); not trained on.
FUEL_FILE = WRITTEN / "fuel.jsonl"
# Collectors' messages for the compliance flags, beside customers' replies (electrical and
# data-centre components; industrial tools and the agency collecting for them, twice), and
# a maker of textiles and uniforms selling in sixteen countries: measured unseen, then read
# (sixteenth round); not trained on.
OUTBOUND_FILE = WRITTEN / "outbound.jsonl"
COMPLIANCE_FILE = WRITTEN / "compliance.jsonl"
OUTREACH_FILE = WRITTEN / "outreach.jsonl"
TEXTILES_FILE = WRITTEN / "textiles.jsonl"
# Billing queries and hardship said every way, at a distributor of office, janitorial and
# catering supplies: measured unseen, then read (sixteenth round); not trained on.
QUERIES_FILE = WRITTEN / "queries.jsonl"
# A third collectors' set (five businesses, January - March 2027), written after the others
# were read: measured unseen, not read (the next round's measure of the compliance flags).
DESK_FILE = WRITTEN / "desk.jsonl"
# A maker of labels and packaging selling in twenty countries, February - May 2027:
# measured unseen, then read (sixteenth round); not trained on.
LABELS_FILE = WRITTEN / "labels.jsonl"
# A distributor of seed, fertiliser, crop protection and feed in twenty-three countries,
# written blind at the round's end: measured unseen, not read (the next round's measure).
AGRI_FILE = WRITTEN / "agri.jsonl"
TRAIN_FILES = (TRAIN_FILE, *WRITTEN_TRAIN_FILES)


class DatasetError(Exception):
    """A line of an input file is not usable; the message says which and why."""


@dataclass
class Example:
    id: str
    text: str
    sent_at: datetime | None = None
    channel: str | None = None
    direction: str | None = None
    labels: list[str] | None = None  # None: not labelled (tagging input)
    promise: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def read_many(paths: Sequence[Path], *, require_labels: bool = False) -> list[Example]:
    """The examples of several files, in order; an id may appear only once across them."""
    examples: list[Example] = []
    where: dict[str, Path] = {}
    for path in paths:
        for example in read_examples(path, require_labels=require_labels):
            if example.id in where:
                raise DatasetError(
                    f"{path}: id {example.id!r} is also in {where[example.id]}"
                )
            where[example.id] = path
            examples.append(example)
    return examples


def read_examples(path: Path, *, require_labels: bool = False) -> list[Example]:
    examples: list[Example] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON: {exc.msg}") from None
        examples.append(parse_example(raw, where, require_labels=require_labels))
        if examples[-1].id in seen:
            raise DatasetError(f"{where}: id {examples[-1].id!r} appears twice")
        seen.add(examples[-1].id)
    return examples


def parse_example(raw: Any, where: str, *, require_labels: bool = False) -> Example:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    for key in ("id", "text"):
        if not isinstance(raw.get(key), str):
            raise DatasetError(f"{where}: key {key!r} must be a string")
    sent_at = None
    if raw.get("sent_at") is not None:
        try:
            sent_at = datetime.fromisoformat(str(raw["sent_at"]))
        except ValueError:
            raise DatasetError(
                f"{where}: sent_at {raw['sent_at']!r} is not an ISO 8601 date-time"
            ) from None
    direction = raw.get("direction")
    if direction not in (None, "inbound", "outbound"):
        raise DatasetError(f"{where}: direction must be 'inbound' or 'outbound', not {direction!r}")
    labels = raw.get("labels")
    if labels is None and require_labels:
        raise DatasetError(f"{where}: key 'labels' is required here")
    if labels is not None:
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise DatasetError(f"{where}: labels must be a list of tag names")
        unknown = [x for x in labels if x not in ALL_TAGS]
        if unknown:
            raise DatasetError(
                f"{where}: unknown label(s) {', '.join(unknown)}; tags are {', '.join(ALL_TAGS)}"
            )
    known = {"id", "text", "sent_at", "channel", "direction", "labels", "promise"}
    return Example(
        id=raw["id"],
        text=raw["text"],
        sent_at=sent_at,
        channel=raw.get("channel"),
        direction=direction,
        labels=labels,
        promise=raw.get("promise"),
        extra={k: v for k, v in raw.items() if k not in known},
    )
