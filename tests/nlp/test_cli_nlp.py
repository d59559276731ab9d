"""`commwatch tag`, `eval`, `train`, `retag` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commwatch.cli import app
from nlp.dataset import (
    AGRI_FILE,
    AP_NOTICES_FILE,
    ASIA_MIDEAST_FILE,
    BUILDING_FILE,
    COMPLIANCE_FILE,
    COURTESY_FILE,
    DESK_FILE,
    DEV_FILE,
    DISPUTES_FILE,
    FOLLOWUPS_FILE,
    FOODSERVICE_FILE,
    FUEL_FILE,
    GERMAN_FRENCH_FILE,
    HELDOUT2_FILE,
    HELDOUT3_FILE,
    HELDOUT4_FILE,
    HELDOUT_FILE,
    ITALIAN_POLISH_FILE,
    LABELS_FILE,
    LANGPROMISES2_FILE,
    LANGPROMISES_FILE,
    LANGUAGES_DEV_FILE,
    MEDICAL_FILE,
    MULTILINGUAL_FILE,
    OUTBOUND_FILE,
    OUTREACH_FILE,
    PROMISES_FILE,
    QUERIES_FILE,
    REPLIES_FILE,
    SPANISH_PORTUGUESE_FILE,
    TEXTILES_FILE,
    TRAIN_FILE,
    WHOLESALE_FILE,
    WORLDMONEY_FILE,
    read_examples,
)
from nlp.pipeline import CLASSIFIER_NAME, MODEL_DIR, Tagger, load_pipeline, pipeline_version
from tests.conftest import ROOT

runner = CliRunner()


def test_tag_a_text_shows_tags_evidence_and_promise() -> None:
    result = runner.invoke(app, [
        "tag", "INV-10023 is short by 10 units. We'll pay the other $4,500.00 by Friday.",
        "--sent-at", "2026-12-29T17:00:00-05:00",
    ])
    assert result.exit_code == 0, result.output
    assert "dispute" in result.output and "promise_to_pay" in result.output
    assert "short by" in result.output
    assert '"date": "2027-01-01"' in result.output and '"amount": 4500.0' in result.output


def test_tag_file_writes_taxonomy_predictions(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "We'll pay $1,200 on 6 March.",
                    "sent_at": "2026-03-02T09:15:00+01:00"}) + "\n"
        + json.dumps({"id": "b", "text": "Your card 4111 1111 1111 1111 is on file.",
                      "direction": "outbound"}) + "\n"
    )
    target = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["tag", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    a, b = [json.loads(line) for line in target.read_text().splitlines()]
    assert set(a) == {"id", "labels", "scores", "evidence", "promise"}
    assert a["id"] == "a" and a["labels"] == ["promise_to_pay"]
    assert a["promise"] == {"amount": 1200.0, "currency": "USD", "date": "2026-03-06"}
    assert set(a["evidence"][0]) == {"label", "start", "end", "text"}
    assert b["labels"] == ["pii_exposure"] and b["promise"] is None
    assert set(b["scores"]) == {"abusive_language", "pii_exposure"}


def test_bad_input_line_is_named(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n')
    result = runner.invoke(app, ["tag", "--input", str(source)])
    assert result.exit_code == 2
    assert f"{source}:2: key 'text' must be a string" in result.output


def test_eval_on_the_dev_set_meets_the_quality_bar(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(DEV_FILE), "--json", str(report_path)])
    assert result.exit_code == 0, result.output
    assert "macro F1" in result.output and "promise dates exactly right" in result.output
    report = json.loads(report_path.read_text())
    print(f"dev macro F1 {report['macro_f1']}, promise dates {report['promise']}")
    assert report["examples"] == 500
    assert report["macro_f1"] >= 0.90
    assert report["promise"]["date_accuracy"] >= 0.90
    assert set(report["per_tag"]) == {
        "dispute", "promise_to_pay", "billing_query", "payment_confirmation", "hardship",
        "cease_contact", "legal_escalation", "auto_reply", "abusive_language", "pii_exposure",
    }
    for row in report["per_tag"].values():
        assert {"precision", "recall", "f1", "support"} <= set(row)
    assert len(report["slowest"]) == 5 and "most_wrong" in report


def test_train_is_deterministic_on_one_machine(tmp_path: Path) -> None:
    """The same data and seed give the same bytes, run after run (a small subset, for speed)."""
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(TRAIN_FILE.read_text(encoding="utf-8").splitlines()[:150]) + "\n",
                      encoding="utf-8")
    built = []
    for run in ("a", "b"):
        result = runner.invoke(app, ["train", "--data", str(subset), "--output",
                                     str(tmp_path / run)])
        assert result.exit_code == 0, result.output
        built.append((tmp_path / run / CLASSIFIER_NAME / "model").read_bytes())
    assert built[0] == built[1]


def test_train_rebuilds_the_shipped_model(tmp_path: Path) -> None:
    """A rebuild from the shipped training data is the shipped model: byte for byte on a CPU whose
    BLAS kernels round as the build machine's did, and on any CPU the same tags on every dev
    message with scores within 0.01 (kernels for other CPUs sum in another order)."""
    result = runner.invoke(app, ["train", "--output", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "model" / "config.cfg").read_text() == (
        MODEL_DIR / "config.cfg"
    ).read_text()
    if (tmp_path / "model" / CLASSIFIER_NAME / "model").read_bytes() == (
        MODEL_DIR / CLASSIFIER_NAME / "model"
    ).read_bytes():
        return
    dev = read_examples(DEV_FILE, require_labels=True)
    texts = [e.text for e in dev]
    directions = [e.direction for e in dev]
    shipped = Tagger().tag(texts, directions)
    rebuilt = Tagger(model_dir=tmp_path / "model").tag(texts, directions)
    for example, a, b in zip(dev, shipped, rebuilt, strict=True):
        assert a.labels == b.labels, example.id
        assert max(abs(a.scores[t] - b.scores[t]) for t in a.scores) < 0.01, example.id


def test_retag_from_the_command_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.toml").read_text().replace("var/commwatch.db", str(tmp_path / "c.db"))
        .replace('"demo/', f'"{ROOT}/demo/')
    )
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["--config", str(config), "run", "--once"]).exit_code == 0
    again = runner.invoke(app, ["--config", str(config), "retag", "--since", "2026-01-01"])
    assert again.exit_code == 0, again.output
    assert "re-tagged 0 message(s)" in " ".join(again.output.split())  # all at this version
    forced = runner.invoke(app, ["--config", str(config), "retag", "--force"])
    assert forced.exit_code == 0, forced.output
    said = " ".join(forced.output.split())
    expected = json.loads((ROOT / "demo" / "expected.json").read_text())
    demo_messages = sum(1 for m in expected["messages"] if not m["broken"]) + len(
        expected["chat_messages"])  # the emails, chat messages and call turns
    assert f"re-tagged {demo_messages} message(s)" in said
    assert "0 signal(s) added" in said and "0 removed" in said


def test_train_reads_several_files_and_names_an_id_they_share(tmp_path: Path) -> None:
    lines = TRAIN_FILE.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join(lines[:60]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[60:120]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(first), "--data", str(second),
                                 "--output", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "model" / CLASSIFIER_NAME / "model").is_file()
    # The model just written is the one evaluated with --model: its weights make it another
    # pipeline version than the shipped model.
    reports = {}
    for name, extra in (("shipped", []), ("small", ["--model", str(tmp_path / "model")])):
        out = tmp_path / f"{name}.json"
        result = runner.invoke(app, ["eval", str(DEV_FILE), "--json", str(out), *extra])
        assert result.exit_code == 0, result.output
        reports[name] = json.loads(out.read_text())
    assert reports["small"]["version"] != reports["shipped"]["version"]
    assert reports["small"]["version"] == pipeline_version(
        load_pipeline(tmp_path / "model"), tmp_path / "model")
    result = runner.invoke(app, ["eval", str(DEV_FILE), "--model", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no trained model here" in " ".join(result.output.split())
    second.write_text("\n".join(lines[59:120]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(first), "--data", str(second),
                                 "--output", str(tmp_path / "again")])
    assert result.exit_code == 2
    assert f"{second}: id 'train-0060' is also in {first}" in " ".join(result.output.split())
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize(
    ("path", "examples", "macro", "dates", "currency"),
    [
        (HELDOUT_FILE, 150, 0.90, 0.77, 0.76),
        (HELDOUT2_FILE, 200, 0.875, 0.75, 0.87),
        (HELDOUT3_FILE, 200, 0.855, 0.58, 0.40),
        (HELDOUT4_FILE, 200, 0.92, 0.80, 0.52),
        (WHOLESALE_FILE, 200, 0.90, 0.90, 0.71),
        (BUILDING_FILE, 200, 0.92, 0.895, 0.66),
        (FOODSERVICE_FILE, 200, 0.92, 0.895, 0.85),
        (MEDICAL_FILE, 200, 0.915, 0.93, 0.71),
        (MULTILINGUAL_FILE, 200, 0.825, 0.69, 0.48),
        (SPANISH_PORTUGUESE_FILE, 200, 0.80, 0.70, 0.53),
        (GERMAN_FRENCH_FILE, 200, 0.75, 0.59, 0.49),
        (ITALIAN_POLISH_FILE, 200, 0.82, 0.66, 0.46),
        (LANGUAGES_DEV_FILE, 200, 0.835, 0.71, 0.73),
        (COURTESY_FILE, 160, 0.955, 0.93, 0.78),
        (PROMISES_FILE, 200, 0.935, 0.90, 0.75),
        (ASIA_MIDEAST_FILE, 200, 0.88, 0.82, 0.73),
        (AP_NOTICES_FILE, 200, 0.85, 0.87, 0.86),
        (DISPUTES_FILE, 200, 0.925, 0.79, 0.80),
        (FOLLOWUPS_FILE, 200, 0.90, 0.82, 0.77),
        (WORLDMONEY_FILE, 200, 0.965, 0.86, 0.81),
        (LANGPROMISES_FILE, 200, 0.895, 0.92, 0.88),
        (LANGPROMISES2_FILE, 200, 0.825, 0.81, 0.73),
        (REPLIES_FILE, 200, 0.93, 0.89, 0.72),
        (FUEL_FILE, 200, 0.90, 0.91, 0.79),
        (OUTBOUND_FILE, 200, 0.965, 0.99, 0.99),
        (COMPLIANCE_FILE, 200, 0.925, 0.90, 0.80),
        (OUTREACH_FILE, 200, 0.93, 0.85, 0.85),
        (TEXTILES_FILE, 200, 0.93, 0.85, 0.69),
        (QUERIES_FILE, 200, 0.875, 0.89, 0.85),
        (DESK_FILE, 200, 0.92, 0.85, 0.80),
        (LABELS_FILE, 200, 0.945, 0.90, 0.80),
        (AGRI_FILE, 200, 0.90, 0.90, 0.72),
    ],
)
def test_written_sets_not_trained_on_keep_their_measured_quality(
    tmp_path: Path, path: Path, examples: int, macro: float, dates: float, currency: float
) -> None:
    """Messages written apart from the corpus and never trained on (nlp/data/written/README.md),
    measured at (macro F1; stated promise dates right; amount and currency right):
    heldout 0.916, 86.4% (19 of 22), 84.6% (11 of 13); heldout2 0.888, 79.2% (19 of 24),
    93.8%; heldout3 0.877, 61.3% (19 of 31; half of it is written wholly in the customer's own
    language), 46.7%; heldout4 0.946, 82.5% (47 of 57), 57.5% (23 of 40); wholesale 0.915,
    93.9% (31 of 33), 73.9% (its gold leaves an Australian's bare "the eight grand" without a
    currency, where the other sets give the customer's own); building 0.943, 91.8% (78 of
    85), 68.3%; foodservice 0.937, 91.4% (64 of 70), 87.0%; medical 0.931, 95.5% (42 of 44),
    73.7%. Written wholly or mostly in other
    languages: multilingual (Spanish, Portuguese, German, Polish, French, Italian) 0.845,
    71.2% (37 of 52), 50.0%; spanish_portuguese 0.822, 72.3% (34 of 47), 57.7%;
    german_french 0.766, 61.2% (30 of 49), 51.3%; italian_polish 0.843, 68.9% (31 of 45),
    50.0%; languages_dev (Spanish, Portuguese, German, French) 0.859, 73.2% (41 of 56), 76.3%.
    Replies that open with an acknowledgement's words, and acknowledgements: courtesy 0.975,
    96.8% (30 of 31), 81.5%. Promises said every way: promises 0.951, 92.0% (92 of 100),
    77.4%; second-language English from Turkey to Japan: asia_mideast 0.892, 84.6% (33 of
    39), 76.3%. Customers' AP departments and systems: ap_notices 0.868, 87.5%, 88.9%;
    disputes and what only looks like one: disputes 0.944, 81.4%, 82.4%. Messages later in
    a conversation: followups 0.916, 83.3% (50 of 60), 80.0% (28 of 35); sums written the
    world's ways: worldmoney 0.980, 87.0% (94 of 108), 83.8% (88 of 105).
    Promises in six languages: langpromises 0.911, 94.2%, 90.1% (0.899, 72.8%, 74.7% unseen);
    langpromises2 0.840, 83.2%, 75.0% (0.824, 64.2%, 59.5% unseen). Replies inside a
    conversation with a collector: replies 0.942, 91.0%, 74.6% (0.849, 82.0%, 63.5% unseen).
    A fuel and fleet-supplies distributor at the year end: fuel 0.917, 92.3% (72 of 78), 80.6%
    (50 of 62) (0.873, 83.3%, 67.7% unseen). Collectors' messages for the compliance flags
    beside customers' replies: outbound 0.978, 100% (15), 100% (12) (0.914, 93.3%, 91.7%
    unseen); compliance 0.936, 91.7% (22 of 24), 81.8% (18 of 22) (0.921 unseen); outreach
    0.946, 87.5% (21 of 24), 87.0% (20 of 23) (0.908, 75.0%, 73.9% unseen). A maker of
    textiles and uniforms: textiles 0.948, 86.4% (57 of 66), 70.8% (46 of 65) (0.880, 77.3%,
    61.5% unseen). Billing queries and hardship said every way: queries 0.888, 90.0% (45
    of 50), 85.7% (36 of 42) (0.786, 90.0%, 85.7% unseen). A third collectors' set, not
    read: desk 0.934, 90.0% (18 of 20), 85.7% (12 of 14) (0.927 before this round). A
    maker of labels and packaging: labels 0.960, 91.2% (62 of 68), 81.5% (44 of 54) (0.914,
    86.8%, 77.8% unseen). Seed, fertiliser and feed, not read: agri 0.917, 91.0% (61 of 67),
    72.9% (43 of 59) (0.900 at this round's start).
    A change that loses ground on them fails here, whatever the dev set says. The floors
    leave a message's worth for BLAS rounding on other CPUs."""
    report_path = tmp_path / "heldout.json"
    result = runner.invoke(app, ["eval", str(path), "--json", str(report_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["examples"] == examples
    assert report["macro_f1"] >= macro
    assert report["promise"]["date_accuracy"] >= dates
    assert report["promise"]["amount_and_currency_accuracy"] >= currency
