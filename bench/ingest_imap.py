"""Benchmark: IMAP ingest (commwatch's ImapConnector + run_source into SQLite) beside mbsync.

A private Dovecot (tests/dovecot.py: own CA, IMAPS on a free loopback port) serves one INBOX
filled with N synthetic AR emails (1-20 KB; plain, text+HTML, HTML-only, with attachments).
Then, each in its own process so peak RSS is its own:

  A. commwatch: ImapConnector (IMAPS, test CA, read-only) + run_source into a fresh SQLite;
  B. mbsync (isync): the same INBOX over IMAPS pulled into a local Maildir;
  C. commwatch's stages alone, for the floors: fetch only (the connector, bodies read and
     dropped), parse only (parse_email in one process, then in the parse workers), store
     only (the parsed messages into a fresh SQLite with the runner's store path).

Last, IDLE latency: a `watch()` thread whose `on_new` wakes a worker running run_source; 50
messages are APPENDed one at a time, each timed from the APPEND's OK to its row being
visible in the store.

    python bench/ingest_imap.py --messages 10000
    python bench/ingest_imap.py --messages 2000 --profile     # side A under cProfile
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

OWN_DOMAIN = "halden-supply.example"
AR_ADDRESS = f"ar@{OWN_DOMAIN}"
PASSWORD_ENV = "CW_BENCH_IMAP_PASSWORD"  # noqa: S105 - a variable name
SOURCE = "bench"
TIME = "/usr/bin/time"

# -- synthetic AR mail ---------------------------------------------------------------------

COMPANIES = ["Brightline", "Nordvik", "Castell", "Oakridge", "Meridian", "Falk & Sons",
             "Tamsin", "Verano", "Kestrel", "Ashgrove", "Lindqvist", "Pallas"]
SUFFIXES = ["Ltd", "GmbH", "BV", "AB", "Inc", "S.A."]
FIRST = ["Jan", "Marta", "Olu", "Priya", "Tomasz", "Ines", "Kofi", "Sara", "Lena", "Raj"]
LAST = ["Novak", "Berg", "Adeyemi", "Shah", "Kowalski", "Duarte", "Mensah", "Lind", "Moreau"]
SUBJECTS = [
    "Re: Invoice {inv}", "RE: Overdue reminder - {inv}", "Remittance advice {pay}",
    "Statement of account - {month}", "Dispute: {inv} short delivery", "Re: Credit note for {inv}",
    "Payment confirmation {pay}", "Query regarding {inv}", "AW: Zahlungserinnerung {inv}",
    "Re: Re: {inv} - proof of delivery",
]
PHRASES = [
    "We were charged twice for {inv}, please issue a credit note.",
    "Payment for {inv} is scheduled in our payment run on the 15th.",
    "Could you send a copy of {inv} and confirm your bank details?",
    "The goods on {inv} arrived damaged; we only received 40 of 50 units.",
    "Thanks, noted. We will revert next week about the delivery schedule.",
    "Remittance advice attached: {inv} was paid yesterday by wire, reference {pay}.",
    "Our AP team is closing the month; {inv} has been approved for payment.",
    "The PO number on {inv} does not match our order, please reissue.",
    "We dispute the late fee on {inv} as the invoice reached us three weeks late.",
    "Please find our statement reconciliation below; {inv} is the only open item.",
]
DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be "
    "legally privileged. If you are not the intended recipient, please notify the sender "
    "immediately and delete it from your system. Any unauthorised use, disclosure or copying "
    "is prohibited. {company} accepts no liability for viruses transmitted by this e-mail."
)
START = datetime(2026, 10, 1, 8, tzinfo=UTC)


def _customer(i: int) -> tuple[str, str, str]:
    c = i % 500
    company = f"{COMPANIES[c % len(COMPANIES)]} {SUFFIXES[c % len(SUFFIXES)]}"
    person = f"{FIRST[c % len(FIRST)]} {LAST[(c // 3) % len(LAST)]}"
    return company, person, f"customer{c}.example"


def make_message(i: int, tag: str = "bench") -> bytes:
    """One AR email, deterministic in `i`: 1-20 KB, mostly 2-8 KB."""
    rng = random.Random(i)
    company, person, domain = _customer(i)
    inv = f"INV-{10000 + rng.randrange(3000)}"
    pay = f"PAY-{rng.randrange(10**6):06d}"
    target = int(rng.triangular(1024, 20480, 3500))
    kind = rng.random()
    kind = ("plain" if kind < 0.55 else "alternative" if kind < 0.70
            else "html" if kind < 0.80 else "attachment")
    sent = START + timedelta(minutes=7 * i)

    headers = [
        ("From", f"{person} <{person.split()[0].lower()}@{domain}>"),
        ("To", AR_ADDRESS),
    ]
    if rng.random() < 0.3:
        headers.append(("Cc", f"AP Team <ap@{domain}>, Controller <controller@{domain}>"))
    headers += [
        ("Subject", rng.choice(SUBJECTS).format(inv=inv, pay=pay, month="October 2026")),
        ("Date", format_datetime(sent)),
        ("Message-ID", f"<{tag}{i}.{rng.randrange(10**9)}@{domain}>"),
    ]
    if i > 10 and rng.random() < 0.5:  # a reply into an earlier conversation
        parent = f"<ar{rng.randrange(i)}@{OWN_DOMAIN}>"
        headers += [("In-Reply-To", parent),
                    ("References", f"<ar{rng.randrange(i)}@{OWN_DOMAIN}> {parent}")]
    headers.append(("X-Mailer", rng.choice(["Microsoft Outlook 16.0", "Apple Mail (2.3731)",
                                            "Zimbra"])))
    if rng.random() < 0.03:
        headers.append(("Auto-Submitted", "auto-replied"))

    paragraphs = [" ".join(rng.choice(PHRASES).format(inv=inv, pay=pay)
                           for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 3))]
    signature = (f"Best regards,\n{person}\nAccounts Payable | {company}\n"
                 f"+44 20 7946 {rng.randrange(10000):04d}\n\n"
                 + DISCLAIMER.format(company=company))
    attachment = b""
    attachment_name = ""
    if kind == "attachment":
        if rng.random() < 0.5:
            attachment_name, size = f"{pay}.pdf", rng.randint(1500, 6000)
            attachment = b"%PDF-1.4\n" + rng.randbytes(size)
        else:
            attachment_name = f"remittance-{pay}.csv"
            rows = [f"{10000 + rng.randrange(3000)},{rng.randint(100, 90000)}."
                    f"{rng.randint(0, 99):02d},EUR" for _ in range(rng.randint(10, 120))]
            attachment = ("invoice,amount,currency\n" + "\n".join(rows) + "\n").encode()
    # Quoted history grows the message to its target size, as long threads do.
    copies = 2 if kind == "alternative" else 1  # the history is in both parts
    budget = (target - 900 - len(signature) - sum(map(len, paragraphs))
              - len(attachment) * 4 // 3) // copies
    history: list[str] = []
    depth = 0
    while budget > 0:
        depth = min(depth + 1, 3)
        when = format_datetime(sent - timedelta(days=len(history) + 1))
        block = [f"On {when}, Accounts Receivable <{AR_ADDRESS}> wrote:"]
        block += [rng.choice(PHRASES).format(inv=inv, pay=pay) for _ in range(rng.randint(2, 6))]
        block += ["Kind regards,", "Halden Supply - Credit Control"]
        text = "\n".join(">" * depth + " " + line for line in block)
        history.append(text)
        budget -= len(text) + 1

    def build(history: list[str]) -> bytes:
        part = EmailMessage()
        for name, value in headers:
            part[name] = value
        plain = ("Hello,\n\n" + "\n\n".join(paragraphs) + "\n\n" + signature + "\n\n"
                 + "\n\n".join(history) + "\n")
        quoted = "".join(f"<blockquote><p>{escape(h).replace(chr(10), '<br>')}</p></blockquote>"
                         for h in history)
        html = (f'<html><head><meta charset="utf-8"><style>p{{font-family:Calibri}}</style>'
                f"</head><body><p>Hello,</p>{''.join(f'<p>{p}</p>' for p in paragraphs)}"
                f"<p>{escape(signature).replace(chr(10), '<br>')}</p>"
                f'<div class="gmail_quote">{quoted}</div></body></html>')
        if kind == "html":
            part.set_content(html, subtype="html")
        else:
            part.set_content(plain)
            if kind == "alternative":
                part.add_alternative(html, subtype="html")
            elif attachment_name.endswith(".pdf"):
                part.add_attachment(attachment, maintype="application", subtype="pdf",
                                    filename=attachment_name)
            elif attachment_name:
                part.add_attachment(attachment.decode(), subtype="csv",
                                    filename=attachment_name)
        return bytes(part)

    data = build(history)
    while len(data) > 20480 and history:  # keep within 20 KB
        history.pop()
        data = build(history)
    return data


def fill_maildir(maildir: Path, count: int, uid: int, gid: int) -> int:
    """Write messages straight into a not-yet-opened Maildir (INTERNALDATE = mtime, sizes in
    the file name as Dovecot writes them); returns the bytes written."""
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, uid, gid)
    os.chown(maildir, uid, gid)
    total = 0
    with ProcessPoolExecutor() as pool:  # generating is the slow part: use every core
        messages = pool.map(make_message, range(count), chunksize=250)
        for i, data in enumerate(messages):
            total += _deliver(maildir, i, data, uid, gid)
    return total


def _deliver(maildir: Path, i: int, data: bytes, uid: int, gid: int) -> int:
    stamp = int((START + timedelta(minutes=7 * i)).timestamp())
    crlf_size = len(data) + data.count(b"\n")  # RFC822.SIZE: lines end in CRLF on the wire
    path = maildir / "cur" / f"{stamp}.M{i}P1.bench,S={len(data)},W={crlf_size}:2,"
    path.write_bytes(data)
    os.utime(path, (stamp, stamp))
    os.chown(path, uid, gid)
    return len(data)


# -- the two sides, each run in its own process -------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _proc_cpu(pid: int, reaped: bool) -> float:
    """CPU seconds of a live process from /proc (with its reaped children's if `reaped`)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(v) for v in fields[11:15 if reaped else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


def dovecot_cpu(server) -> float:  # noqa: ANN001 - tests.dovecot.DovecotServer
    """CPU seconds Dovecot has used so far: the master with the login and mail processes it
    has reaped, and those still running (TLS is done in the imap-login processes)."""
    from tests.dovecot import _children

    master = server._process.pid  # noqa: SLF001 - the bench's own server
    seen, total, stack = set(), _proc_cpu(master, reaped=True), [master]
    while stack:
        for child in _children(stack.pop()):
            if child not in seen:
                seen.add(child)
                total += _proc_cpu(child, reaped=False)
                stack.append(child)
    return total


class TreeRss:
    """Samples the resident memory of this process plus its children (the parse workers)
    every 20 ms; `peak_mb` is the largest sum seen. ru_maxrss alone misses the workers, and
    for a child it counts the parent's pages it shared before exec."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.02):
            kids: list[str] = []
            for task in Path(f"/proc/{me}/task").iterdir():
                try:
                    kids += (task / "children").read_text().split()
                except OSError:
                    continue
            total = self._rss_kb(me) + sum(self._rss_kb(pid) for pid in kids)
            self.peak_mb = max(self.peak_mb, total / 1024)


def _connector(args: argparse.Namespace):  # -> ImapConnector
    from ingest.imap import ImapConnector
    from ingest.imap_config import ImapSourceConfig

    config = ImapSourceConfig.model_validate({
        "type": "imap", "host": args.host, "port": args.port, "security": "tls",
        "username": args.user, "password": {"env": PASSWORD_ENV}, "ca_file": args.ca,
        "batch_size": args.batch_size, "timeout_seconds": 60,
    })
    return ImapConnector(SOURCE, config)


def _profile_threads(profiles: list) -> None:
    """Profile every thread started from now on (imaplib2 reads, parses and dispatches the
    server's lines in its own reader and handler threads, which cProfile alone misses)."""
    import cProfile

    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.runcall(original, self)

    threading.Thread.run = run  # type: ignore[method-assign]


def run_commwatch(args: argparse.Namespace) -> dict[str, float]:
    from commwatch.store import create_store_engine, ensure_schema
    from ingest import Directions, run_source

    engine = create_store_engine(f"sqlite:///{args.db}")
    ensure_schema(engine)
    connector = _connector(args)
    directions = Directions([OWN_DOMAIN], [AR_ADDRESS])
    if args.profile:
        import cProfile
        import pstats

        thread_profiles: list[cProfile.Profile] = []
        _profile_threads(thread_profiles)
        main = cProfile.Profile()
        started = time.perf_counter()
        report = main.runcall(run_source, engine, connector, directions,
                              parse_workers=args.workers)
        elapsed = time.perf_counter() - started
        for title, profs, sort, limit in (
            ("main thread (run_source), by cumulative time", [main], "cumulative", 45),
            ("main thread, by own time", [main], "tottime", 25),
            ("imaplib2 threads (reader/handler/writer), by own time", thread_profiles,
             "tottime", 20),
        ):
            if not profs:
                continue
            stats = pstats.Stats(profs[0], stream=sys.stderr)
            for extra in profs[1:]:
                stats.add(extra)
            print(f"\n===== {title} =====", file=sys.stderr)
            stats.strip_dirs().sort_stats(sort).print_stats(limit)
        tree_mb, cpu, own = float("nan"), float("nan"), float("nan")
    else:
        cpu, own = cpu_seconds(), time.process_time()
        with TreeRss() as tree:
            started = time.perf_counter()
            report = run_source(engine, connector, directions, parse_workers=args.workers)
            elapsed = time.perf_counter() - started
        cpu, tree_mb, own = cpu_seconds() - cpu, tree.peak_mb, time.process_time() - own
    engine.dispose()
    return {"messages": report.stored, "seen": report.seen, "quarantined": report.quarantined,
            "seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "tree_rss_mb": tree_mb,
            "cpu_seconds": cpu, "main_cpu_seconds": own}


def write_mbsyncrc(path: Path, args: argparse.Namespace, password: str, near: Path) -> None:
    near.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""\
IMAPAccount bench
# isync matches the certificate's DNS names only (not IP SANs): connect by name.
Host localhost
Port {args.port}
User {args.user}
Pass {password}
SSLType IMAPS
CertificateFile {args.ca}

IMAPStore far
Account bench

MaildirStore near
Path {near}/
Inbox {near}/INBOX

Channel bench
Far :far:INBOX
Near :near:INBOX
Sync Pull
Create Near
Expunge None
CopyArrivalDate yes
SyncState *
""")
    path.chmod(0o600)


def run_mbsync(args: argparse.Namespace) -> dict[str, float]:
    near = Path(args.db).parent / "mbsync-near"
    rc = Path(args.db).parent / "mbsyncrc"
    write_mbsyncrc(rc, args, os.environ[PASSWORD_ENV], near)
    command = ["mbsync", "-q", "-c", str(rc), "bench"]
    timed = Path(TIME).exists()
    if timed:
        command = [TIME, "-v", *command]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"mbsync failed ({result.returncode}):\n{result.stderr}")
    if timed:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
        rss = int(match.group(1)) / 1024 if match else float("nan")
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                               result.stderr))
    else:
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        cpu = float("nan")
    count = sum(1 for sub in ("cur", "new") for _ in (near / "INBOX" / sub).iterdir())
    return {"messages": count, "seconds": elapsed, "peak_rss_mb": rss, "tree_rss_mb": rss,
            "cpu_seconds": cpu}


# -- the floors: each stage of side A alone, on the same messages ---------------------------


def _timed(work):  # noqa: ANN001, ANN202 - a bench helper
    cpu = cpu_seconds()
    with TreeRss() as tree:
        started = time.perf_counter()
        count = work()
        elapsed = time.perf_counter() - started
    return {"messages": count, "seconds": elapsed, "peak_rss_mb": peak_rss_mb(),
            "tree_rss_mb": tree.peak_mb, "cpu_seconds": cpu_seconds() - cpu}


def run_fetch_only(args: argparse.Namespace) -> dict[str, float]:
    """The connector alone: every body fetched and read (kept for the parse floors)."""
    connector = _connector(args)
    bodies: list[tuple[datetime | None, bytes]] = []

    def work() -> int:
        for batch in connector.fetch({}):
            bodies.extend((item.received_at, item.read()) for item in batch.items)
        return len(bodies)

    result = _timed(work)
    Path(args.db + ".raw").write_bytes(pickle.dumps(bodies))
    return result


def run_parse_only(args: argparse.Namespace) -> dict[str, float]:
    """parse_email over every body in one process (parsed messages kept for the store floor)."""
    from ingest.mime import parse_email

    bodies = pickle.loads(Path(args.db + ".raw").read_bytes())  # noqa: S301 - our own file
    parsed = []

    def work() -> int:
        parsed.extend(parse_email(data, received_at=when) for when, data in bodies)
        return len(parsed)

    result = _timed(work)
    Path(args.db + ".parsed").write_bytes(pickle.dumps(parsed))
    return result


def run_pool_only(args: argparse.Namespace) -> dict[str, float]:
    """The same parse in the parse workers, a batch at a time, as run_source hands them out."""
    from functools import partial

    from ingest.mime import parse_email
    from ingest.parsepool import ParsePool, default_workers

    bodies = pickle.loads(Path(args.db + ".raw").read_bytes())  # noqa: S301 - our own file
    jobs = [partial(parse_email, data, received_at=when) for when, data in bodies]
    workers = default_workers() if args.workers is None else args.workers

    def work() -> int:
        with ParsePool(max(1, workers)) as pool:
            return sum(len(pool.run(jobs[i:i + args.batch_size]))
                       for i in range(0, len(jobs), args.batch_size))

    return _timed(work)


def run_store_only(args: argparse.Namespace) -> dict[str, float]:
    """The runner's store path alone (customers, threads, messages, ledger, cursor; one
    transaction a batch) for messages parsed beforehand."""
    from commwatch.store import create_store_engine, ensure_schema, session_scope
    from ingest import Directions
    from ingest.customers import CustomerResolver
    from ingest.storing import record_items, save_cursor, store_messages

    parsed = pickle.loads(Path(args.db + ".parsed").read_bytes())  # noqa: S301 - our own file
    engine = create_store_engine(f"sqlite:///{args.db}")
    ensure_schema(engine)
    directions = Directions([OWN_DOMAIN], [AR_ADDRESS])

    def work() -> int:
        for start in range(0, len(parsed), args.batch_size):
            chunk = parsed[start:start + args.batch_size]
            with session_scope(engine) as session:
                stored = store_messages(session, SOURCE, [(p, f"bench:{start + n}")
                                                          for n, p in enumerate(chunk)],
                                        directions, CustomerResolver(session))
                record_items(session, SOURCE, [(f"INBOX/1/{start + n + 1}", message_id, None)
                                               for n, (message_id, _new) in enumerate(stored)])
                save_cursor(session, SOURCE, "INBOX", {"last_uid": start + len(chunk)})
        return len(parsed)

    result = _timed(work)
    engine.dispose()
    return result


def run_idle(args: argparse.Namespace) -> dict[str, object]:
    """watch() + worker thread; APPEND one message at a time, time APPEND OK -> row visible."""
    import imaplib

    from commwatch.store import create_store_engine, ensure_schema
    from ingest import Directions, run_source

    engine = create_store_engine(f"sqlite:///{args.db}")
    ensure_schema(engine)
    connector = _connector(args)
    directions = Directions([OWN_DOMAIN], [AR_ADDRESS])
    stop, wake = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    notified: list[float] = []

    def on_new() -> None:
        notified.append(time.perf_counter())
        wake.set()

    def worker() -> None:
        run_source(engine, connector, directions)  # catch up first (no-op after side A)
        while not stop.is_set():
            if wake.wait(0.05):
                wake.clear()
                try:
                    run_source(engine, connector, directions)
                except Exception as exc:  # noqa: BLE001 - reported at the end
                    errors.append(exc)

    watcher = threading.Thread(target=connector.watch, args=(on_new, stop), daemon=True)
    runner = threading.Thread(target=worker, daemon=True)
    runner.start()
    watcher.start()

    poll = sqlite3.connect(args.db, timeout=30)
    latencies: list[float] = []
    to_notify: list[float] = []  # APPEND OK -> on_new called (Dovecot + IDLE)
    missed = 0
    appender = imaplib.IMAP4(args.host, args.plain_port, timeout=30)
    appender.login(args.user, os.environ[PASSWORD_ENV])
    try:
        time.sleep(1.0)  # let the watcher log in and start IDLE
        for n in range(-1, args.idle_messages):  # n = -1: a warm-up, not counted
            data = make_message(args.messages + 1 + n, tag="idle")
            msgid = re.search(rb"^Message-ID: (.+)$", data, re.M | re.I).group(1).decode().strip()
            typ, resp = appender.append("INBOX", None, None, data)
            appended = time.perf_counter()
            if typ != "OK":
                raise SystemExit(f"APPEND failed: {resp}")
            deadline = appended + args.idle_timeout
            while True:
                row = poll.execute("SELECT 1 FROM messages WHERE header_message_id = ?",
                                   (msgid,)).fetchone()
                now = time.perf_counter()
                if row is not None:
                    if n >= 0:
                        latencies.append(now - appended)
                        woken = [t for t in notified if t >= appended]
                        to_notify.append((woken[0] if woken else now) - appended)
                    break
                if now > deadline:
                    missed += 1
                    break
                time.sleep(0.002)
    finally:
        appender.logout()
        stop.set()
        watcher.join(10)
        runner.join(30)
        poll.close()
        engine.dispose()
    return {"latencies": latencies, "to_notify": to_notify, "missed": missed,
            "errors": [repr(e) for e in errors]}


# -- orchestration --------------------------------------------------------------------------


def _side(side: str, server, user, db: Path, args: argparse.Namespace,
          extra: list[str] | None = None) -> dict:
    env = {**os.environ, PASSWORD_ENV: user.password}
    command = [sys.executable, __file__, "--side", side, "--messages", str(args.messages),
               "--host", server.host, "--port", str(server.imaps_port),
               "--plain-port", str(server.imap_port), "--user", user.name,
               "--ca", str(server.ca_path), "--db", str(db),
               "--batch-size", str(args.batch_size),
               "--idle-messages", str(args.idle_messages),
               "--idle-timeout", str(args.idle_timeout),
               *(["--workers", str(args.workers)] if args.workers is not None else []),
               *(extra or [])]
    before = dovecot_cpu(server)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    dovecot = dovecot_cpu(server) - before
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"side {side} failed ({result.returncode}); Dovecot log:\n"
                         f"{server.log_tail()}")
    if args.profile and side == "commwatch":
        sys.stdout.write(result.stderr)
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "dovecot_cpu_seconds": dovecot}


def _warm_up(server, user, count: int) -> None:
    """Let Dovecot index the Maildir (UIDs, sizes, dates) before either side connects."""
    with server.client(user) as conn:
        typ, data = conn.select("INBOX")
        if typ != "OK" or int(data[0]) != count:
            raise SystemExit(f"Dovecot sees {data} messages in INBOX, expected {count}")
        conn.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
        conn.close()


def _summary(rows: list[tuple[str, dict]], count: int) -> None:
    """Each side's median over the rounds, and the median of the rounds' speed ratios."""
    mine = [r["seconds"] for side, r in rows if side == "commwatch"]
    theirs = [r["seconds"] for side, r in rows if side == "mbsync"]
    if len(mine) < 2:
        print(f"  commwatch at {theirs[0] / mine[0]:.2f}x mbsync's speed")
        return
    ratios = sorted(t / m for m, t in zip(mine, theirs, strict=True))
    print(f"  {len(mine)} rounds: commwatch median {statistics.median(mine):.2f} s "
          f"({count / statistics.median(mine):.0f} msgs/s), mbsync median "
          f"{statistics.median(theirs):.2f} s ({count / statistics.median(theirs):.0f} msgs/s); "
          f"commwatch's speed as a multiple of mbsync's, round by round: "
          f"{', '.join(f'{r:.2f}x' for r in ratios)} (median {statistics.median(ratios):.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--idle-messages", type=int, default=50)
    parser.add_argument("--idle-timeout", type=float, default=30.0,
                        help="seconds to wait for one IDLE-delivered message before counting "
                             "it missed")
    parser.add_argument("--profile", action="store_true",
                        help="run only side A, under cProfile, and print the profile")
    parser.add_argument("--workers", type=int, default=None,
                        help="parse worker processes for side A (default: one per core)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each side, taken in turns (the first side alternates); "
                             "the summary compares their medians")
    parser.add_argument("--no-floors", dest="floors", action="store_false",
                        help="skip the fetch/parse/store-only runs")
    parser.add_argument("--keep", action="store_true", help="keep the Dovecot folder")
    for hidden in ("--side", "--host", "--port", "--plain-port", "--user", "--ca", "--db"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        args.port, args.plain_port = int(args.port), int(args.plain_port)
        run = {"commwatch": run_commwatch, "mbsync": run_mbsync, "idle": run_idle,
               "fetch": run_fetch_only, "parse": run_parse_only, "pool": run_pool_only,
               "store": run_store_only}[args.side]
        print(json.dumps(run(args)))
        return

    from tests.dovecot import DOVECOT, DovecotServer

    if not Path(DOVECOT).exists():
        raise SystemExit(f"Dovecot is needed at {DOVECOT}: apt-get install dovecot-imapd")
    if not args.profile and shutil.which("mbsync") is None:
        raise SystemExit("mbsync is needed: apt-get install isync")
    # As tests/dovecot.py's fixture: under /tmp when root (mail processes run as `mail`).
    shared_tmp = "/tmp" if os.geteuid() == 0 else None  # noqa: S108 - mkdtemp: private name
    base = Path(tempfile.mkdtemp(prefix="commwatch-bench-imap-", dir=shared_tmp))
    base.chmod(0o755)
    server = DovecotServer(base)
    try:
        server.write_files()
        user = server.add_user()  # from the pool: no login needed before start
        started = time.perf_counter()
        size = fill_maildir(user.home / "Maildir", args.messages, server.mail_uid,
                            server.mail_gid)
        generated = time.perf_counter() - started
        server.start()
        _warm_up(server, user, args.messages)
        indexed = time.perf_counter() - started - generated
        print(f"INBOX of {user.name}: {args.messages} messages, {size / 2**20:.1f} MB "
              f"(generated in {generated:.1f} s, indexed by Dovecot in {indexed:.1f} s)",
              flush=True)
        work = base / "sides"
        work.mkdir()
        if args.profile:
            result = _side("commwatch", server, user, work / "commwatch.db", args,
                           ["--profile"])
            print(f"\nprofiled run: {result['messages']} stored in {result['seconds']:.2f} s "
                  "(profiling slows it down)")
            return
        load_before = os.getloadavg()
        rows = []
        for n in range(1, args.rounds + 1):
            # Rounds alternate which side goes first: a shared machine's speed drifts.
            here = work if n == 1 else work / f"round-{n}"
            here.mkdir(exist_ok=True)
            sides = ("commwatch", "mbsync") if n % 2 else ("mbsync", "commwatch")
            done = {side: _side(side, server, user, here / f"{side}.db", args) for side in sides}
            rows += [("commwatch", done["commwatch"]), ("mbsync", done["mbsync"])]
        if args.floors:
            floor = work / "floor.db"
            rows += [(side, _side(side, server, user, floor, args))
                     for side in ("fetch", "parse", "pool", "store")]
        load_after = os.getloadavg()
        # The IDLE run continues on side A's store, as a running service would.
        idle = _side("idle", server, user, work / "commwatch.db", args)
    finally:
        server.stop()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    from ingest.parsepool import default_workers

    workers = default_workers() if args.workers is None else args.workers
    labels = {
        "commwatch": f"commwatch ImapConnector+run_source (batch {args.batch_size}, "
                     f"{workers} parse workers)",
        "mbsync": "mbsync (isync) IMAPS -> Maildir",
        "fetch": "  floor: fetch only (connector, bodies read)",
        "parse": "  floor: parse only, 1 process (parse_email)",
        "pool": f"  floor: parse only, {max(1, workers)} parse workers",
        "store": "  floor: store only (runner's store path)",
    }
    width = max(len(v) for v in labels.values()) + 2
    print(f"\n{'':{width}}{'messages':>9}{'seconds':>9}{'msgs/s':>9}{'CPU s':>8}"
          f"{'Dovecot CPU s':>15}{'peak RSS MB':>13}{'+ workers':>11}")
    for side, r in rows:
        rate = r["messages"] / r["seconds"] if r["seconds"] else 0.0
        print(f"{labels[side]:{width}}{r['messages']:>9.0f}{r['seconds']:>9.2f}{rate:>9.0f}"
              f"{r['cpu_seconds']:>8.1f}{r['dovecot_cpu_seconds']:>15.1f}"
              f"{r['peak_rss_mb']:>13.0f}{r['tree_rss_mb']:>11.0f}")
        if "main_cpu_seconds" in r:
            print(f"{'  of which the main process (fetch, store)':{width}}{'':>27}"
                  f"{r['main_cpu_seconds']:>8.1f}")
        if side in ("commwatch", "mbsync") and r["messages"] != args.messages:
            print(f"  ! {side} has {r['messages']} of {args.messages} messages"
                  + (f" ({r.get('quarantined')} quarantined)" if "quarantined" in r else ""))
    print(f"  (CPU s: user+system of the side's processes; Dovecot CPU s: its master, login "
          f"and mail processes during the side's run; "
          f"+ workers: peak RSS of the process and its children, sampled every 20 ms; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after)")
    _summary(rows, args.messages)
    lat = sorted(idle["latencies"])
    if lat:
        p95 = lat[min(len(lat) - 1, max(0, round(0.95 * len(lat)) - 1))]
        print(f"\nIDLE latency, APPEND OK -> row committed ({len(lat)} messages, one at a time): "
              f"median {statistics.median(lat):.3f} s, p95 {p95:.3f} s, "
              f"min {lat[0]:.3f} s, max {lat[-1]:.3f} s")
    if idle["to_notify"]:
        woken = statistics.median(idle["to_notify"])
        rest = statistics.median(t - w for t, w in zip(idle["latencies"], idle["to_notify"],
                                                       strict=True))
        print(f"  split: APPEND OK -> on_new (Dovecot notify + IDLE) median {woken:.3f} s, "
              f"on_new -> row committed (run_source) median {rest:.3f} s")
    if idle["missed"] or idle["errors"]:
        print(f"  ! {idle['missed']} message(s) not stored within {args.idle_timeout:g} s; "
              f"worker errors: {idle['errors']}")


if __name__ == "__main__":
    main()
