"""Every file of the third-party email corpora through an eml_dir source, on both stores:
each is stored or quarantined with a reason, none crashes the parser, and a second run adds
nothing. Then what a handful of ruby_mail fixtures must come out as."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import (
    Message,
    QuarantineItem,
    SourceItem,
    create_store_engine,
    ensure_schema,
)
from ingest import run_source
from ingest.config import EmlFolderSourceConfig
from ingest.files import EmlFolderConnector
from tests.conftest import SHARED_CORPORA
from tests.factories import OWN

CORPUS = SHARED_CORPORA / "email"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"email corpora not found at {CORPUS} (CI checks out ../shared)"
)

# Mail the standard library's parser cannot read a header block from (obsolete
# "From  :" syntax; a stray text line in the middle of the headers): quarantined, with reason.
UNREADABLE_EML = {
    "ruby_mail/rfc2822/example13.eml",
    "ruby_mail/plain_emails/raw_email_incorrect_header.eml",
}


def corpus_files() -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file())


def connector() -> EmlFolderConnector:
    config = EmlFolderSourceConfig.model_validate(
        {"type": "eml_dir", "path": CORPUS, "pattern": "*"}
    )
    return EmlFolderConnector("corpora", config)


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    """The stored message of each item, by its path under the corpus folder (a duplicate
    Message-ID maps to the one message stored first)."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(SourceItem.item_key), Message).join(
                Message, col(Message.id) == col(SourceItem.message_id)
            )
        ).all()
        return {key: message.model_dump() for key, message in rows}


def test_every_corpus_file_is_stored_or_quarantined(engine: Engine) -> None:
    files = corpus_files()
    first = run_source(engine, connector(), OWN)
    assert first.seen == len(files)
    with Session(engine) as session:
        ledger = session.execute(select(
            col(SourceItem.item_key), col(SourceItem.message_id), col(SourceItem.quarantine_id)
        )).all()
        held = {q.item_key: q.reason for q in session.scalars(select(QuarantineItem))}
    assert sorted(key for key, _m, _q in ledger) == files
    for key, message_id, quarantine_id in ledger:
        assert (message_id is None) != (quarantine_id is None), key
    assert all(reason.strip() for reason in held.values())
    crashed = {key: reason for key, reason in held.items() if reason.startswith("parser failed:")}
    assert not crashed, f"parser bugs: {crashed}"

    # Every message file is read; what is held is not mail, or mail without a header block.
    eml = {f for f in files if f.endswith(".eml")}
    assert {f for f in held if f in eml} == UNREADABLE_EML
    assert all(held[f].startswith(("no RFC 5322 header block", "empty message")) for f in held
               if f.endswith((".txt", ".md", ".html", "_body", "_signature", "_reply_text")))
    assert first.stored + first.duplicates == len(files) - len(held)

    second = run_source(engine, connector(), OWN)
    assert (second.stored, second.duplicates, second.quarantined) == (0, 0, 0)
    assert second.skipped_known == len(files)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(SourceItem)).scalar_one() == len(
            files
        )


EXPECTED: list[Any] = [
    # An ISO-2022-JP encoded-word subject, and ISO-2022-JP / Shift_JIS bodies.
    ("ruby_mail/rfc2822/example14.eml", "subject", "Re: TEST テストテスト"),
    ("ruby_mail/multi_charset/japanese_iso_2022.eml", "body_text", "すみません。"),
    ("ruby_mail/multi_charset/japanese_iso_2022.eml", "subject", "まみむめも"),
    ("ruby_mail/multi_charset/japanese_shift_jis.eml", "body_text",
     "あいうえお\n\nこのメールはテスト用のメールです。\n\n今後ともよろしくお願い申し上げます！"),
    ("ruby_mail/multi_charset/japanese_attachment_long_name.eml", "subject", "まみむめも" * 10),
    # RFC 6532: raw UTF-8 in the headers.
    *[("ruby_mail/rfc6532/utf8_headers.eml", field, value)
      for field, value in (("subject", "Säying Hello"), ("sender", "jdöe@mächine.example"),
                           ("sender_name", "Jöhn Doe"), ("recipients", ["märy@exämple.net"]))],
    # DSN bounces (multipart/report).
    *[(f"ruby_mail/multipart_report_emails/{name}.eml", "automatic", "bounce")
      for name in ("multi_address_bounce1", "multi_address_bounce2",
                   "multipart_report_multiple_status", "report_422", "report_530")],
    ("ruby_mail/plain_emails/basic_email.eml", "automatic", None),
    # Attachments: name (RFC 2231 / encoded-word too) and decoded size.
    ("ruby_mail/attachment_emails/attachment_pdf.eml", "attachments",
     [{"filename": "broken.pdf", "content_type": "application/pdf", "size": 1026}]),
    ("ruby_mail/multi_charset/japanese_attachment.eml", "attachments",
     [{"filename": "てすと.txt", "content_type": "text/plain", "size": 33}]),
    ("ruby_mail/attachment_emails/attachment_with_quoted_filename.eml", "attachments",
     [{"filename": "Eelanalüüsi päring.jpg", "content_type": "image/jpeg", "size": 1952}]),
    ("ruby_mail/attachment_emails/attachment_with_base64_encoded_name.eml", "attachments",
     [{"filename": "This is a test.pdf", "content_type": "application/pdf", "size": 399}]),
    # New text of real replies: a "-- " signature and a talon reply in Russian.
    ("ruby_mail/multi_charset/japanese.eml", "new_text", "かきくえこ"),
    ("talon/standard_replies/android.eml", "new_text", "Hello"),
]


def _case_id(case: Any) -> str:
    path, field, _value = case.values if hasattr(case, "values") else case
    return f"{path.rsplit('/', 1)[-1]}:{field}"


@pytest.fixture(scope="module")
def corpus_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The corpus ingested once into SQLite, for the per-fixture checks."""
    engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('corpora') / 'store.db'}")
    ensure_schema(engine)
    run_source(engine, connector(), OWN)
    messages = stored(engine)
    engine.dispose()
    return messages


@pytest.mark.parametrize(("path", "field", "value"), EXPECTED, ids=[_case_id(c) for c in EXPECTED])
def test_ruby_mail_fixtures_come_out_right(
    corpus_messages: dict[str, dict[str, Any]], path: str, field: str, value: Any
) -> None:
    assert corpus_messages[path][field] == value
