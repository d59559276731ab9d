"""WhatsApp chat exports: Android and iOS, locales, multi-line messages, media, system lines,
broken lines, re-ingest, overlapping re-exports and edits."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ingest import run_source
from ingest.chat.config import WhatsAppSourceConfig
from ingest.chat.whatsapp import WhatsAppConnector
from tests.factories import OWN
from tests.ingest.chatkit import (
    FIXTURES,
    add_customers,
    by_text,
    drop,
    messages,
    quarantined,
    revisions,
    settle,
    zip_folder,
)

AGENTS = ["Maria Lopez", "Priya Nair", "Tom Becker", "+44 7700 900461"]
NNBSP, LRM = "\u202f", "\u200e"


def connector(path: Path, **kw: object) -> WhatsAppConnector:
    config = WhatsAppSourceConfig(type="whatsapp_export", path=path, agents=AGENTS,
                                  timezone=str(kw.pop("timezone", "Europe/London")), **kw)  # type: ignore[arg-type]
    return WhatsAppConnector("whatsapp", config)


# One line per locale and app: what it says, the date order the file shows, the UTC time.
LINES = [
    # Android, UK: d/m/yyyy, 24-hour, " - "
    ("13/11/2026, 16:30 - Rick Alvarez: paid", "auto", "Europe/London",
     datetime(2026, 11, 13, 16, 30)),
    # Android, US: m/d/yy, 12-hour with a narrow no-break space before PM
    (f"11/20/26, 1:05{NNBSP}PM - Dana Whitfield: thanks", "auto", "America/New_York",
     datetime(2026, 11, 20, 18, 5)),
    # Android, older US builds: plain space and lower-case am
    ("11/20/26, 9:14 am - Dana Whitfield: morning", "auto", "America/New_York",
     datetime(2026, 11, 20, 14, 14)),
    # iOS, UK: [dd/mm/yyyy, hh:mm:ss]
    ("[16/11/2026, 09:12:40] Lucia Reyes: sure", "auto", "Europe/London",
     datetime(2026, 11, 16, 9, 12, 40)),
    # iOS, US: [m/d/yy, h:mm:ss AM] with a left-to-right mark first and U+202F
    (f"{LRM}[11/20/26, 9:14:05{NNBSP}AM] Dana Whitfield: hi", "auto", "America/New_York",
     datetime(2026, 11, 20, 14, 14, 5)),
    # German Android: dd.mm.yy, 24-hour
    ("17.11.26, 08:02 - Jonas Hoffmann: Danke", "auto", "Europe/Berlin",
     datetime(2026, 11, 17, 7, 2)),
    # Swedish / ISO: yyyy-mm-dd
    ("2026-11-17 08:02 - Jonas Hoffmann: tack", "auto", "Europe/Stockholm",
     datetime(2026, 11, 17, 7, 2)),
    # Spanish iOS: "p. m." with a no-break space
    ("[20/11/26, 1:05:00\xa0p.\xa0m.] Lucia Reyes: gracias", "auto", "Europe/Madrid",
     datetime(2026, 11, 20, 12, 5)),
    # Ambiguous (no day above 12): read as configured
    ("03/11/2026, 09:30 - Tom Becker: call at 3", "mdy", "UTC", datetime(2026, 3, 11, 9, 30)),
    ("03/11/2026, 09:30 - Tom Becker: call at 3", "dmy", "UTC", datetime(2026, 11, 3, 9, 30)),
]


@pytest.mark.parametrize(("line", "order", "zone", "utc"), LINES)
def test_line_formats_across_locales(
    sqlite_engine: Engine, tmp_path: Path, line: str, order: str, zone: str, utc: datetime
) -> None:
    chat = tmp_path / "in" / "WhatsApp Chat with Someone.txt"
    chat.parent.mkdir()
    chat.write_text(line + "\n", encoding="utf-8")
    settle(chat)
    date_order = "auto" if order == "auto" else order
    report = run_source(sqlite_engine,
                        connector(chat.parent, timezone=zone, date_order=date_order), OWN)
    assert (report.stored, report.quarantined) == (1, 0)
    [message] = messages(sqlite_engine)
    assert message.sent_at == utc.replace(tzinfo=UTC)
    assert message.sent_utc_offset is not None  # the sender's local offset is kept for dates
    assert message.sender_name == line.split("] ")[-1].split(" - ")[-1].split(":")[0].strip()


def test_day_above_twelve_decides_the_order_for_the_whole_file(sqlite_engine: Engine,
                                                                tmp_path: Path) -> None:
    # "04/11" alone is ambiguous; "13/11" further down shows the file is day-first.
    drop(tmp_path / "in", "whatsapp/WhatsApp Chat with Rick Alvarez.txt")
    run_source(sqlite_engine, connector(tmp_path / "in", ambiguous_date_order="mdy"), OWN)
    first = by_text(sqlite_engine, "Following up on INV-10033")
    assert first.sent_at == datetime(2026, 11, 4, 17, 2, tzinfo=UTC)


def test_android_export_messages_authors_direction_and_threads(engine: Engine,
                                                               tmp_path: Path) -> None:
    add_customers(engine, {"external_id": "C004", "name": "Coastal Fabrication LLC"},
                  invoices={"INV-10033": "C004", "INV-10047": "C004"})
    drop(tmp_path / "in", "whatsapp/WhatsApp Chat with Rick Alvarez.txt")
    report = run_source(engine, connector(tmp_path / "in"), OWN)
    # 12 lines: encryption notice and a deleted message left out, 2 broken lines held.
    assert (report.stored, report.quarantined) == (7, 2)
    stored = messages(engine)
    assert [(m.sender_name, m.direction) for m in stored] == [
        ("Maria Lopez", "outbound"), ("Rick Alvarez", "inbound"), ("Rick Alvarez", "inbound"),
        ("Maria Lopez", "outbound"), ("Rick Alvarez", "inbound"), ("Rick Alvarez", "inbound"),
        ("Rick Alvarez", "inbound"),
    ]
    promise = by_text(engine, "cash is tight")
    assert promise.new_text == ("Hi Maria. Honestly cash is tight this month, we lost a big "
                                "contract.\nWe can do $5,000 on the 13th and the rest by "
                                "11 December.")
    assert promise.raw_ref.endswith("WhatsApp Chat with Rick Alvarez.txt lines 3-4")
    assert promise.sent_at == datetime(2026, 11, 4, 17, 40, tzinfo=UTC)
    assert promise.channel == "chat" and promise.subject == "WhatsApp: Rick Alvarez"
    media = [m for m in stored if m.attachments]
    assert [a["filename"] for m in media for a in m.attachments] == ["", "IMG-20261113-WA0004.jpg"]
    assert media[1].new_text == "Remittance for the first $5,000"
    # Identical "ok" twice in one minute: two messages, two keys.
    oks = [m for m in stored if m.body_text == "ok"]
    assert len(oks) == 2 and oks[0].natural_key != oks[1].natural_key
    # The whole chat belongs to Coastal: matched by invoice number, then by conversation.
    assert {m.customer_id for m in stored} == {stored[0].customer_id} and stored[0].customer_id
    assert {m.customer_match for m in stored} == {"reference", "conversation"}
    # 4-5 November: one session, then the customer's current thread the next morning; the
    # 13 November messages come 8 days later, past the 7-day window: a thread of their own.
    assert [m.thread_id for m in stored] == [stored[0].thread_id] * 4 + [stored[4].thread_id] * 3
    assert stored[0].thread_id != stored[4].thread_id


def test_broken_lines_are_quarantined_with_their_line_and_bytes(engine: Engine,
                                                                tmp_path: Path) -> None:
    drop(tmp_path / "in", "whatsapp/WhatsApp Chat with Rick Alvarez.txt",
         "whatsapp/WhatsApp Chat mit Jonas Hoffmann.txt")
    run_source(engine, connector(tmp_path / "in"), OWN)
    held = {q.reason: bytes(q.raw) for q in quarantined(engine)}
    assert held == {
        "WhatsApp Chat mit Jonas Hoffmann.txt line 4: not UTF-8 text (invalid start byte at "
        "byte 44)": b"17.11.26, 08:03 - Jonas Hoffmann: Anbei die \xff\xfe Zahlung",
        "WhatsApp Chat with Rick Alvarez.txt line 8: not a date and time: day is out of range "
        "for month (read as dmy)": b"31/11/2026, 10:00 - Rick Alvarez: sent you the remittance",
        "WhatsApp Chat with Rick Alvarez.txt line 9: starts like a message but has no readable "
        "'date, time - name: text' form": b"13/11/2026 16:29 Rick Alvarez: half a line from a "
                                           b"bad copy-paste",
    }
    # The good lines around them are all there.
    assert by_text(engine, "Danke, erhalten").sender_name == "Jonas Hoffmann"


def test_us_export_with_system_lines_and_subject_change(engine: Engine, tmp_path: Path) -> None:
    drop(tmp_path / "in", "whatsapp/WhatsApp Chat with Dana Whitfield.txt")
    run_source(engine, connector(tmp_path / "in", timezone="America/Chicago"), OWN)
    stored = messages(engine)
    assert [m.body_text for m in stored] == [
        "Hi Maria, quick question on INV-10031 - our AP system shows it twice?",
        "Hi Dana - INV-10044 was the duplicate and we cancelled it on 4 Nov. You only owe "
        "INV-10031 once.",
        "Great, thanks!",
    ]
    # 12:05 PM in Chicago (UTC-6 in November) is 18:05 UTC.
    assert stored[-1].sent_at == datetime(2026, 11, 20, 18, 5, tzinfo=UTC)
    assert stored[-1].sent_utc_offset == -360


def test_ios_zip_with_media(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 2044
    archive = zip_folder(FIXTURES / "whatsapp" / "ios", folder / "WhatsApp Chat - Lucia Reyes.zip",
                         extra={"00000012-PHOTO-2026-11-10-17-45-31.jpg": photo})
    settle(archive)
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.quarantined) == (5, 0)
    stored = messages(engine)
    assert stored[0].subject == "WhatsApp: Lucia Reyes"
    assert [m.sender_name for m in stored] == ["Priya Nair"] + ["Lucia Reyes"] * 4
    assert stored[1].body_text == "Yes that's right.\nOur payment run is Tuesday 10th."
    assert stored[2].attachments == [{
        "filename": "00000012-PHOTO-2026-11-10-17-45-31.jpg", "content_type": "image/jpeg",
        "size": 2048, "omitted": False}]
    assert stored[3].attachments[0]["omitted"] is True and stored[3].body_text == ""
    assert stored[0].sent_at == datetime(2026, 11, 6, 9, 12, 40, tzinfo=UTC)


def test_reingest_and_an_overlapping_reexport_add_nothing_twice(engine: Engine,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "in"
    [first] = drop(folder, "whatsapp/WhatsApp Chat with Rick Alvarez.txt")
    assert run_source(engine, connector(folder), OWN).stored == 7
    again = run_source(engine, connector(folder), OWN)
    assert (again.seen, again.stored, again.quarantined) == (0, 0, 0)
    # A week later the collector exports the same chat again: the old lines and two new ones,
    # into a new file (WhatsApp names it the same; the user kept both).
    later = folder / "later" / first.name
    later.parent.mkdir()
    shutil.copy(first, later)
    with later.open("a", encoding="utf-8") as handle:
        handle.write("20/11/2026, 10:00 - Maria Lopez: Hi Rick, just checking the 11 December "
                     "date still holds?\n20/11/2026, 10:12 - Rick Alvarez: ok\n")
    settle(later)
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.quarantined) == (2, 0)
    assert len(messages(engine)) == 9
    assert len(quarantined(engine)) == 2  # the same bad lines are not held twice


RICK = "WhatsApp Chat with Rick Alvarez.txt"
PLAN = "We can do $5,000 on the 13th and the rest by 11 December."


def _reexport(folder: Path, name: str, *changes: tuple[str, str]) -> Path:
    """The Rick Alvarez chat exported again into `folder/name/`, with lines changed."""
    text = (FIXTURES / "whatsapp" / RICK).read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = folder / name / RICK
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    settle(path)
    return path


def test_an_edit_in_a_later_export_is_a_new_version_of_the_message_not_another_one(
    engine: Engine, tmp_path: Path
) -> None:
    """WhatsApp gives no edit time and the natural key is made of the text: the slot (chat,
    minute, author, place) ties the edited text to the message it replaces."""
    folder = tmp_path / "in"
    drop(folder, f"whatsapp/{RICK}")
    assert run_source(engine, connector(folder), OWN).stored == 7
    before = by_text(engine, PLAN)
    assert (before.edited, before.edit_key is not None) == (False, True)
    # Rick edited his plan on the phone; the next export marks it, in its own words.
    _reexport(folder, "later", (PLAN, "We can do $6,000 on the 13th and the rest by 11 "
                                      "December. <This message was edited>"))
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.revised, report.quarantined) == (0, 1, 0)
    after = by_text(engine, "$6,000 on the 13th")
    assert after.id == before.id and len(messages(engine)) == 7
    assert after.new_text.endswith("by 11 December.")  # the marker is not the customer's
    assert (after.edited, after.edited_at, after.tagged_version) == (True, None, None)
    assert [(r.new_text.splitlines()[-1], r.edited) for r in revisions(engine)] == [
        (PLAN, False)]
    assert run_source(engine, connector(folder), OWN).seen == 0
    # Edited again (in a German phone's words) and exported a third time.
    _reexport(folder, "third", (PLAN, "We can do $7,000 on the 13th, rest by 11 December "
                                      "<Diese Nachricht wurde bearbeitet>"))
    assert run_source(engine, connector(folder), OWN).revised == 1
    latest = by_text(engine, "$7,000 on the 13th")
    assert latest.id == before.id and len(messages(engine)) == 7
    assert sorted((r.new_text.splitlines()[-1][:13], r.edited) for r in revisions(engine)) == [
        ("We can do $5,", False), ("We can do $6,", True)]


def test_the_unedited_export_read_after_the_edited_one_adds_only_a_revision(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    _reexport(folder, "a-newer", (PLAN, "We pay $5,000 on the 20th instead, rest by 11 "
                                        "December <This message was edited>"))
    assert run_source(engine, connector(folder), OWN).stored == 7
    drop(folder / "b-older", f"whatsapp/{RICK}")  # an older export, found afterwards
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.revised) == (0, 0)
    assert len(messages(engine)) == 7
    current = by_text(engine, "on the 20th instead")
    assert current.edited and "<This message" not in current.new_text
    assert [r.new_text.splitlines()[-1] for r in revisions(engine)] == [PLAN]


def test_both_versions_in_one_run_are_one_message(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    drop(folder / "a", f"whatsapp/{RICK}")
    _reexport(folder, "b", (PLAN, "We can do $4,000 on the 13th and the rest by 11 December. "
                                  "<This message was edited>"))
    report = run_source(engine, connector(folder), OWN)
    assert (report.stored, report.revised) == (7, 1)
    assert len(messages(engine)) == 7
    assert by_text(engine, "$4,000 on the 13th").edited


def test_an_edit_finds_its_own_place_among_lines_of_the_same_minute(
    engine: Engine, tmp_path: Path
) -> None:
    """Two "ok"s at 16:31; the first is then deleted, the second edited. The deleted one's
    placeholder keeps its place, so the edit replaces the second message, not the first."""
    folder = tmp_path / "in"
    drop(folder, f"whatsapp/{RICK}")
    run_source(engine, connector(folder), OWN)
    oks = sorted(m.id for m in messages(engine) if m.new_text == "ok")
    assert len(oks) == 2
    _reexport(folder, "later",
              ("16:31 - Rick Alvarez: ok", "16:31 - Rick Alvarez: This message was deleted"),
              ("16:31 - Rick Alvarez: ok\n", "16:31 - Rick Alvarez: ok, paid the rest today "
                                             "<This message was edited>\n"))
    assert run_source(engine, connector(folder), OWN).revised == 1
    assert by_text(engine, "paid the rest today").id == oks[1]
    assert [m.id for m in messages(engine) if m.new_text == "ok"] == [oks[0]]
    assert len(messages(engine)) == 7


def test_another_unmarked_text_in_a_slot_is_another_message(engine: Engine,
                                                             tmp_path: Path) -> None:
    """Without the edit marker a different text is never merged into a stored message: a
    line deleted from the phone shifts the places after it, and losing a message is worse
    than keeping both."""
    folder = tmp_path / "in"
    drop(folder, f"whatsapp/{RICK}")
    run_source(engine, connector(folder), OWN)
    _reexport(folder, "later", ("17:41 - Rick Alvarez: <Media omitted>",
                                "17:41 - Rick Alvarez: call me when you can"))
    assert run_source(engine, connector(folder), OWN).stored == 1
    assert len(messages(engine)) == 8 and revisions(engine) == []


def test_upgrading_a_store_gives_its_whatsapp_messages_their_slots(store_url: str,
                                                                   tmp_path: Path) -> None:
    """Migration 0012 works out the slots of WhatsApp messages stored before it, the same
    ones the reader gives, so an edit of a message stored before the upgrade is still one
    message. The store before is built at revision 0011 from the rows of a current one."""
    import sqlalchemy as sa

    from commwatch.store import create_store_engine, ensure_schema, upgrade_schema
    from commwatch.store.models import Message

    folder = tmp_path / "in"
    drop(folder, f"whatsapp/{RICK}")
    current = create_store_engine(f"sqlite:///{tmp_path / 'current.db'}")
    ensure_schema(current)
    run_source(current, connector(folder), OWN)
    slots = {m.natural_key: m.edit_key for m in messages(current)}
    assert len(set(slots.values())) == 7 and None not in slots.values()
    with current.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sa.select(Message.__table__))]
    current.dispose()

    old = create_store_engine(store_url)
    upgrade_schema(old, "0011")
    names = {c["name"] for c in sa.inspect(old).get_columns("messages")} - {"id"}
    assert not names & {"edit_key", "edited"}
    table = sa.table("messages", *(sa.column(c.name, c.type) for c in Message.__table__.columns
                                   if c.name in names))
    slack = {**rows[0], "natural_key": "slack:C1:1793705000.000700", "source": "slack"}
    with old.begin() as connection:
        connection.execute(table.insert(), [
            {k: v for k, v in r.items() if k in names} | {"thread_id": None, "customer_id": None}
            for r in [*rows, slack]])
    upgrade_schema(old)
    try:
        assert {m.natural_key: m.edit_key for m in messages(old)} == {
            **slots, slack["natural_key"]: None}
        _reexport(folder, "later",
                  (PLAN, "We can do $6,000 on the 13th. <This message was edited>"))
        assert run_source(old, connector(folder), OWN).revised == 1
        assert len(messages(old)) == 8  # the seven, and the Slack message
    finally:
        old.dispose()
