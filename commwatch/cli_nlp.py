"""`commwatch tag`, `eval`, `train` and `retag`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from commwatch.cli_base import app, err, load_config_or_exit, open_service, out, parse_when
from nlp.dataset import DEV_FILE, TRAIN_FILES, DatasetError, Example, read_examples, read_many
from nlp.lexicon import LexiconError


def _tagger(extra_lexicons: list[Path] | None = None, model: Path | None = None) -> Any:
    from nlp.pipeline import MODEL_DIR, ModelError, Tagger

    try:
        return Tagger(tuple(extra_lexicons or ()), model_dir=model or MODEL_DIR)
    except (ModelError, LexiconError) as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _read(path: Path, *, labelled: bool = False) -> list[Example]:
    try:
        return read_examples(path, require_labels=labelled)
    except DatasetError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _show(text: str, result: Any) -> None:
    highlighted = Text(text[: result.new_text_end])
    for evidence in result.evidence:
        highlighted.stylize("bold yellow", evidence.start, evidence.end)
    if result.new_text_end < len(text):
        highlighted.append(text[result.new_text_end :], style="dim")
    out.print(highlighted)
    table = Table("tag", "score", "evidence", "rule")
    for label in result.labels:
        for evidence in (e for e in result.evidence if e.label == label):
            table.add_row(label, f"{result.scores[label]:.2f}", repr(evidence.text), evidence.rule)
    if result.labels:
        out.print(table)
    else:
        out.print("no tags")
    if result.promise:
        out.print(f"promise: {json.dumps(result.promise)}")
    for label, values in result.values.items():
        if label == "dispute":
            out.print(f"dispute: {json.dumps(values)}")
    read_as = "English" + "".join(f" + {code}" for code in result.languages)
    out.print(f"read as {read_as}   tone {result.tone:+.2f}   version {result.version}",
              style="dim")


@app.command()
def tag(
    text: Annotated[str | None, typer.Argument(help="A text to tag and explain.")] = None,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSONL: one {id, text, …} a line.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Predictions JSONL (default stdout).")
    ] = None,
    direction: Annotated[
        str, typer.Option(help="For TEXT: inbound (customer) or outbound (our team).")
    ] = "inbound",
    sent_at: Annotated[
        str | None, typer.Option(help="For TEXT: when it was sent (ISO 8601), for dates.")
    ] = None,
    lexicons: Annotated[
        list[Path] | None, typer.Option("--lexicons", help="Extra lexicon folder(s).")
    ] = None,
) -> None:
    """Tag a text, or a JSONL file into predictions (TAXONOMY.md formats)."""
    if (text is None) == (input is None):
        err.print("[red]give either a TEXT to tag or --input FILE.jsonl[/red]")
        raise typer.Exit(2)
    tagger = _tagger(lexicons)
    if text is not None:
        if direction not in ("inbound", "outbound"):
            err.print(f"[red]--direction must be inbound or outbound, not {direction!r}[/red]")
            raise typer.Exit(2)
        _show(text, tagger.tag_one(text, direction, parse_when(sent_at, "--sent-at")))
        return
    assert input is not None
    examples = _read(input)
    lines = []
    for start in range(0, len(examples), 256):
        chunk = examples[start : start + 256]
        results = tagger.tag(
            [e.text for e in chunk],
            [e.direction or "inbound" for e in chunk],
            [e.sent_at for e in chunk],
            channels=[e.channel for e in chunk],
        )
        lines += [
            json.dumps(r.as_json(e.id), ensure_ascii=False)
            for e, r in zip(chunk, results, strict=True)
        ]
    data = "\n".join(lines) + ("\n" if lines else "")
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_text(data, encoding="utf-8")
        err.print(f"tagged {len(lines)} message(s) -> {output}")


@app.command(name="eval")
def evaluate(
    file: Annotated[
        Path, typer.Argument(help="Labelled JSONL (TAXONOMY.md input format).")
    ] = DEV_FILE,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the full report here.")
    ] = None,
    lexicons: Annotated[
        list[Path] | None, typer.Option("--lexicons", help="Extra lexicon folder(s).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="A model folder written by `commwatch train --output` "
                     "(default: the shipped model)."),
    ] = None,
) -> None:
    """Precision, recall and F1 per tag, micro/macro F1, promise accuracy, worst examples."""
    from nlp.evaluate import report, tag_examples

    examples = _read(file, labelled=True)
    result = report(tag_examples(_tagger(lexicons, model), examples))
    table = Table("tag", "precision", "recall", "F1", "support", "predicted",
                  title=f"{file} ({result['examples']} messages, {result['version']})")
    for label, row in result["per_tag"].items():
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]), str(row["predicted"]))
    out.print(table)
    out.print(f"macro F1 {result['macro_f1']:.4f}   micro F1 {result['micro_f1']:.4f}   "
              f"exact label sets {result['exact_match']:.1%}")
    promise = result["promise"]
    if promise["with_date"] or promise["with_amount"]:
        date_acc = promise["date_accuracy"]
        amount_acc = promise["amount_and_currency_accuracy"]
        out.print(
            f"promise dates exactly right: "
            f"{'n/a' if date_acc is None else f'{date_acc:.1%}'} of {promise['with_date']}   "
            f"amount and currency right: "
            f"{'n/a' if amount_acc is None else f'{amount_acc:.1%}'} of {promise['with_amount']}"
        )
    confusion = result["confusion"]
    if confusion["missed"] or confusion["false"]:
        out.print("confusion (what was predicted instead / alongside):")
        for kind, rows in (("missed", confusion["missed"]), ("false", confusion["false"])):
            for label, others in rows.items():
                detail = ", ".join(f"{k} {v}" for k, v in others.items())
                out.print(f"  {kind:6} {label:22} {detail}", highlight=False)
    out.print(f"{result['seconds_per_message'] * 1000:.2f} ms/message; slowest: "
              + ", ".join(f"{s['id']} {s['ms']} ms" for s in result["slowest"]), highlight=False)
    if result["most_wrong"]:
        out.print("most wrong:")
        for row in result["most_wrong"]:
            out.print(f"  {row['id']}: gold {row['gold']} predicted {row['predicted']} "
                      f"{'; '.join(row['promise'])}", highlight=False)
            out.print(f"    {row['text'][:160]!r}", style="dim", highlight=False)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        err.print(f"report -> {json_out}")


@app.command()
def train(
    data: Annotated[
        list[Path] | None,
        typer.Option(help="Labelled training JSONL; repeat for several (default: the "
                     "labelled corpus and the written training sets)."),
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Model folder (default: shipped).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default fixed).")] = None,
) -> None:
    """Rebuild the classifier from the labelled data (reproducible: fixed seed)."""
    from nlp.pipeline import MODEL_DIR
    from nlp.train import TrainSettings
    from nlp.train import train as run_training

    files = list(data) if data else list(TRAIN_FILES)
    try:
        read_many(files, require_labels=True)  # a clear error before any work
    except DatasetError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    settings = TrainSettings() if seed is None else TrainSettings(seed=seed)
    target = output or MODEL_DIR
    run_training(files, target, settings, log=lambda line: err.print(line, highlight=False))
    out.print(f"model written to {target}")


@app.command()
def retag(
    since: Annotated[
        str | None, typer.Option(help="Only messages sent on or after this date (ISO 8601).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Re-tag even messages already tagged by this version.")
    ] = False,
) -> None:
    """Re-tag stored messages with the current pipeline, replacing their signals."""
    from commwatch.store import Message
    from nlp.jobs import retag as run_retag

    config = load_config_or_exit()
    when = parse_when(since, "--since", config.organisation.timezone)
    service = open_service(config)
    from sqlalchemy import func, select
    from sqlmodel import Session, col

    with Session(service.engine) as session:
        query = select(func.count()).select_from(Message)
        if when is not None:
            query = query.where(col(Message.sent_at) >= when)
        total = session.execute(query).scalar_one()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("re-tagging", total=total)
        counts = run_retag(service.engine, service.tagger, when, force=force,
                           batch_size=config.nlp.batch_size,
                           progress=lambda n: progress.advance(task, n))
    out.print(
        f"re-tagged {counts['tagged']} message(s) with {service.tagger.version}: "
        f"{counts['added']} signal(s) added, {counts['updated']} updated, "
        f"{counts['removed']} removed"
    )
