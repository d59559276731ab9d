"""A small store for the review UI tests: two collectors' customers, flagged messages (one a
near-duplicate, one full of markup payloads), alerts, credit history and a proposal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from commwatch.store import (
    Alert,
    CreditSnapshot,
    Customer,
    Message,
    PromiseRecord,
    Proposal,
    Signal,
    Thread,
    session_scope,
)
from review.auth import add_user

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
USERS = {
    "reviewer": "rita.reviewer@halden-supply.example",
    "collector": "maria.lopez@halden-supply.example",
    "other_collector": "tom.becker@halden-supply.example",
    "admin": "ada.admin@halden-supply.example",
}


@dataclass
class Seeded:
    maria_customer: int
    tom_customer: int
    dispute: int  # message ids
    duplicate: int
    promise: int
    payload: int
    chat: int
    maria_alert: int
    tom_alert: int
    proposal: int


DISPUTE_TEXT = ("Hello, invoice INV-1042 is wrong: we were billed twice for the same "
                "delivery of steel brackets last week. Please send a corrected invoice.")


def _message(session, thread: Thread, key: str, text: str, *, customer: int, sent: datetime,
             subject: str = "Invoice INV-1042", sender: str = "dana@brightline.example",
             sender_name: str = "Dana Whitfield", channel: str = "email",
             quoted: str = "", attachments: list[dict[str, object]] | None = None) -> Message:
    body = text + (f"\n\nOn Monday you wrote:\n> {quoted}" if quoted else "")
    message = Message(natural_key=key, source="test", channel=channel, direction="inbound",
                      sender=sender, sender_name=sender_name,
                      recipients=["ar@halden-supply.example"],
                      sent_at=sent, subject=subject, body_text=body, new_text=text,
                      thread_id=thread.id, customer_id=customer, customer_match="address",
                      attachments=attachments or [], tagged_version="v-test")
    session.add(message)
    session.flush()
    return message


def _signal(session, message: Message, tag: str, phrase: str, confidence: float = 0.9,
            values: dict[str, object] | None = None) -> None:
    start = message.new_text.index(phrase)
    assert message.id is not None
    session.add(Signal(message_id=message.id, tag=tag, start=start, end=start + len(phrase),
                       evidence_text=phrase, confidence=confidence, values=values or {},
                       evidence=[{"label": tag, "start": start, "end": start + len(phrase),
                                  "text": phrase, "rule": f"{tag}.lexicon"}],
                       pipeline_version="v-test"))


def seed(engine: Engine) -> Seeded:
    with session_scope(engine) as s:
        for role, email in USERS.items():
            add_user(s, email, email.split("@")[0].replace(".", " ").title(),
                     "collector" if "collector" in role else role, PASSWORD)
        maria = Customer(external_id="C001", name="Brightline Builders Inc",
                         domains=["brightline.example"], credit_limit=Decimal("150000"),
                         owner="Maria Lopez", owner_email=USERS["collector"], tier="strategic")
        tom = Customer(external_id="C002", name="Northgate Electrical",
                       domains=["northgate.example"], credit_limit=Decimal("60000"),
                       owner="Tom Becker", owner_email=USERS["other_collector"], tier="standard")
        s.add_all([maria, tom])
        s.flush()
        assert maria.id and tom.id
        t1 = Thread(channel="email", customer_id=maria.id, subject="Invoice INV-1042",
                    state="awaiting_us", last_inbound_at=NOW - timedelta(days=3))
        t2 = Thread(channel="email", customer_id=tom.id, subject="Payment", state="closed")
        t3 = Thread(channel="slack", customer_id=maria.id, subject="", state="closed")
        s.add_all([t1, t2, t3])
        s.flush()
        dispute = _message(s, t1, "m1", DISPUTE_TEXT, customer=maria.id,
                           sent=NOW - timedelta(days=3), quoted="Please find INV-1042 attached.")
        similar = DISPUTE_TEXT.replace("1042", "1077").replace("week", "month")
        duplicate = _message(s, t1, "m2", similar, customer=maria.id,
                             sent=NOW - timedelta(days=2))
        promise = _message(s, t2, "m3", "We will pay the remaining $4,500 by Friday.",
                           customer=tom.id, sent=NOW - timedelta(days=1), subject="Payment",
                           sender="kevin@northgate.example", sender_name="Kevin Osei")
        payload = _message(s, t1, "m4", f"Stop calling me. {XSS} We dispute this charge.",
                           customer=maria.id, sent=NOW - timedelta(hours=5), subject=XSS,
                           sender_name=f"Mallory {XSS}", quoted=XSS,
                           attachments=[{"filename": f"{XSS}.pdf", "size": 10}])
        chat = _message(s, t3, "m5", "honestly we cannot pay, cash flow is terrible",
                        customer=maria.id, sent=NOW - timedelta(hours=2), channel="slack",
                        subject="", sender_name="Dana Whitfield")
        for m in (dispute, duplicate):
            _signal(s, m, "dispute", "billed twice")
        _signal(s, promise, "promise_to_pay", "We will pay the remaining $4,500 by Friday",
                0.82, {"amount": 4500.0, "currency": "USD", "date": "2026-11-20"})
        _signal(s, payload, "cease_contact", "Stop calling me")
        _signal(s, payload, "dispute", "We dispute this charge")
        _signal(s, chat, "hardship", "cash flow is terrible", 0.7)
        maria_alert = Alert(rule="response-sla", dedupe_key="a1", severity="high",
                            title="SLA breached: Brightline Builders Inc — INV-1042",
                            summary=f"Waiting 3 days. {XSS}", customer_id=maria.id,
                            thread_id=t1.id, message_id=dispute.id,
                            created_at=NOW - timedelta(days=2),
                            details={"excerpt": XSS})
        tom_alert = Alert(rule="broken-promises", dedupe_key="a2", severity="warning",
                          title="Broken promise: Northgate Electrical", customer_id=tom.id,
                          message_id=promise.id, created_at=NOW - timedelta(hours=3))
        s.add_all([maria_alert, tom_alert])
        for i, (risk, days) in enumerate([(40, 28), (55, 45), (78, 70)]):
            s.add(CreditSnapshot(customer_id=maria.id, taken_on=date(2026, 11, 18 + i),
                                 avg_days_to_pay=days, risk_score=risk, utilisation=0.5 + i / 10,
                                 exposure=Decimal("80000")))
        assert dispute.id is not None
        s.add(PromiseRecord(message_id=dispute.id, customer_id=maria.id, amount=Decimal("4500"),
                            currency="USD", due_on=date(2026, 11, 13), status="broken"))
        proposal = Proposal(dedupe_key="p1", customer_id=maria.id, action="credit_review",
                            reasons=["days to pay up from 28 to 70"], rule="credit-review")
        s.add(proposal)
        s.flush()
        return Seeded(maria.id, tom.id, dispute.id or 0, duplicate.id or 0, promise.id or 0,
                      payload.id or 0, chat.id or 0, maria_alert.id or 0, tom_alert.id or 0,
                      proposal.id or 0)
