"""The review app through its HTTP surface: sign-in, CSRF, roles, inert payloads, the queue,
dispositions, acknowledgements, proposals and pseudonymised review."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import (
    AlertAck,
    AuditEntry,
    Customer,
    Message,
    MessageRevision,
    Proposal,
    Review,
    ReviewCase,
    WebSession,
    session_scope,
)
from review import audit
from review.web import SESSION_COOKIE, create_app
from tests.review.conftest import csrf_of, make_client, sign_in
from tests.review.seed import PASSWORD, USERS, Seeded

ClientAs = Callable[..., tuple[TestClient, str]]


def actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.scalars(select(AuditEntry).order_by(col(AuditEntry.id)))]


def test_pages_need_a_session(client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine) -> None:
    client = make_client(sqlite_engine)
    for path in ("/queue", f"/messages/{seeded.dispute}", f"/customers/{seeded.maria_customer}",
                 "/audit", "/quality"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_sign_in_sets_a_hardened_cookie_and_stores_only_a_hash(
    seeded: Seeded, sqlite_engine: Engine
) -> None:
    client = make_client(sqlite_engine)
    page = client.get("/login")
    response = client.post("/login", data={"email": USERS["reviewer"], "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text)})
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never return
    token = client.cookies[SESSION_COOKIE]
    with Session(sqlite_engine) as session:
        stored = session.scalars(select(WebSession)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert actions(sqlite_engine)[-1] == "login"


def test_cookie_is_secure_behind_tls(seeded: Seeded, sqlite_engine: Engine) -> None:
    app = create_app(sqlite_engine, __import__("review.config").config.ReviewConfig(),
                     "https://review.example")
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = client.get("/login")
    response = client.post("/login", data={"email": USERS["reviewer"], "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text)})
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_wrong_password_is_refused_and_audited(
    seeded: Seeded, sqlite_engine: Engine, password: str
) -> None:
    client = make_client(sqlite_engine)
    page = client.get("/login")
    response = client.post("/login", data={"email": USERS["reviewer"], "password": password,
                                           "csrf_token": csrf_of(page.text)})
    assert "failed=1" in response.headers["location"]
    assert SESSION_COOKIE not in client.cookies
    assert actions(sqlite_engine)[-1] == "login.failed"
    with Session(sqlite_engine) as session:  # the attempted password is never recorded
        assert all(password not in e.details or not password
                   for e in session.scalars(select(AuditEntry)))


def test_login_without_csrf_pair_is_refused(seeded: Seeded, sqlite_engine: Engine) -> None:
    client = make_client(sqlite_engine)
    response = client.post("/login", data={"email": USERS["reviewer"], "password": PASSWORD})
    assert response.status_code == 403


def post_routes(client: TestClient, seeded: Seeded) -> list[str]:
    paths = []
    routes: list[Any] = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        included = getattr(route, "original_router", None)  # an included APIRouter
        routes += included.routes if included is not None else [route]
    for route in routes:
        if "POST" in getattr(route, "methods", set()) and route.path != "/login":
            paths.append(route.path.format(message_id=seeded.dispute, tag="dispute",
                                           alert_id=seeded.maria_alert,
                                           customer_id=seeded.maria_customer,
                                           proposal_id=seeded.proposal))
    return paths


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_every_form_post_without_the_session_csrf_token_is_refused(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine, token: str | None
) -> None:
    client, _ = client_as("admin")
    before = actions(sqlite_engine)
    paths = post_routes(client, seeded)
    assert len(paths) >= 8
    for path in paths:
        data = {"disposition": "confirmed", "action": "compliant", "decision": "approve",
                "reason": "x", "note": "x", "item": f"m:{seeded.dispute}"}
        if token:
            data["csrf_token"] = token
        response = client.post(path, data=data)
        assert response.status_code == 403, path
    assert actions(sqlite_engine) == before  # nothing was recorded
    assert client.get("/queue").status_code == 200  # and the session still works


@pytest.mark.parametrize("role,path,allowed", [
    ("collector", "/customers/{maria}", 200),
    ("collector", "/customers/{tom}", 404),
    ("collector", "/messages/{promise}", 404),
    ("collector", "/alerts/{tom_alert}", 404),
    ("collector", "/alerts/{maria_alert}", 200),
    ("collector", "/audit", 403),
    ("collector", "/quality", 403),
    ("reviewer", "/customers/{tom}", 200),
    ("reviewer", "/audit", 403),
    ("admin", "/audit", 200),
])
def test_roles_decide_what_each_user_can_open(
    client_as: ClientAs, seeded: Seeded, role: str, path: str, allowed: int
) -> None:
    client, _ = client_as(role)
    url = path.format(maria=seeded.maria_customer, tom=seeded.tom_customer,
                      promise=seeded.promise, tom_alert=seeded.tom_alert,
                      maria_alert=seeded.maria_alert)
    assert client.get(url).status_code == allowed


def test_collector_sees_only_own_customers_in_queue_and_cannot_decide(
    client_as: ClientAs, seeded: Seeded
) -> None:
    client, csrf = client_as("collector")
    page = client.get("/queue?state=all").text
    assert "Northgate" not in page and "Brightline" in page
    assert f'href="/alerts/{seeded.tom_alert}"' not in page
    response = client.post(f"/messages/{seeded.dispute}/tags/dispute",
                           data={"csrf_token": csrf, "disposition": "confirmed"})
    assert response.status_code == 403
    response = client.post(f"/alerts/{seeded.tom_alert}/ack", data={"csrf_token": csrf})
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["message", "queue", "alert", "customer"])
def test_markup_in_messages_renders_inert(client_as: ClientAs, seeded: Seeded, page: str) -> None:
    client, _ = client_as("admin")
    path = {"message": f"/messages/{seeded.payload}", "queue": "/queue",
            "alert": f"/alerts/{seeded.maria_alert}",
            "customer": f"/customers/{seeded.maria_customer}"}[page]
    response = client.get(path)
    html = response.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html  # shown as text, not dropped
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if page == "message":
        # body, subject, sender name, attachment name and quoted part, each escaped
        assert html.count("&lt;script&gt;") >= 5
        assert re.search(r'class="sender">Mallory &lt;script&gt;', html)
        assert re.search(r'class="file">&lt;script&gt;', html)


def test_message_view_highlights_evidence_and_folds_quotes(
    client_as: ClientAs, seeded: Seeded
) -> None:
    client, _ = client_as("reviewer")
    html = client.get(f"/messages/{seeded.dispute}").text
    assert re.search(r'<mark class="ev tag-dispute " title="dispute">billed twice</mark>', html)
    assert "confidence 0.90 · pipeline v-test" in html and "dispute.lexicon" in html
    assert re.search(r"<details class=\"quoted\">.*Please find INV-1042 attached", html, re.S)
    assert "Risk" in html and "78/100" in html  # the credit snapshot, latest day
    assert f'href="/messages/{seeded.duplicate}"' in html  # the thread around it


def test_queue_orders_by_severity_then_age_and_filters_from_the_url(
    client_as: ClientAs, seeded: Seeded
) -> None:
    client, _ = client_as("reviewer")
    keys = re.findall(r'data-key="(\w:\d+)"', client.get("/queue").text)
    # high before warning before info; the older of two high items first
    assert keys.index(f"a:{seeded.maria_alert}") < keys.index(f"m:{seeded.payload}")
    assert keys.index(f"m:{seeded.payload}") < keys.index(f"m:{seeded.dispute}")
    assert keys.index(f"m:{seeded.dispute}") < keys.index(f"m:{seeded.promise}")
    only = re.findall(r'data-key="(\w:\d+)"', client.get("/queue?kind=messages&tag=hardship").text)
    assert only == [f"m:{seeded.chat}"]
    slack = re.findall(r'data-key="(\w:\d+)"', client.get("/queue?channel=slack").text)
    assert slack == [f"m:{seeded.chat}"]
    tom = re.findall(r'data-key="(\w:\d+)"',
                     client.get(f"/queue?owner={USERS['other_collector']}").text)
    assert set(tom) == {f"m:{seeded.promise}", f"a:{seeded.tom_alert}"}
    dated = re.findall(r'data-key="(\w:\d+)"', client.get("/queue?since=2026-11-20").text)
    assert f"m:{seeded.dispute}" not in dated and f"m:{seeded.chat}" in dated


def test_near_duplicates_are_grouped_and_bulk_actions_cover_the_group(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client, csrf = client_as("reviewer")
    html = client.get("/queue?kind=messages&tag=dispute").text
    assert f'value="m:{seeded.dispute},m:{seeded.duplicate}"' in html and "+1 similar" in html
    response = client.post("/queue/bulk", data={
        "csrf_token": csrf, "action": "false_positive_all",
        "item": f"m:{seeded.dispute},m:{seeded.duplicate}", "return": "kind=messages"})
    assert response.headers["location"] == "/queue?kind=messages"
    with Session(sqlite_engine) as session:
        cases = {c.message_id: c.state for c in session.scalars(select(ReviewCase))}
    assert cases == {seeded.dispute: "closed", seeded.duplicate: "closed"}
    assert f"m:{seeded.dispute}" not in client.get("/queue").text  # closed leaves the queue
    assert f"m:{seeded.dispute}" in client.get("/queue?state=closed").text


def test_dispositions_escalation_and_notes_are_recorded_and_audited(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client, csrf = client_as("reviewer")
    url = f"/messages/{seeded.payload}"
    assert client.post(f"{url}/tags/cease_contact", data={
        "csrf_token": csrf, "disposition": "confirmed"}).status_code == 303
    assert client.post(f"{url}/action", data={
        "csrf_token": csrf, "action": "escalate", "person": "Head.Of.Credit@halden-supply.example",
        "note": "threatens to stop paying"}).status_code == 303
    refused = client.post(f"{url}/action", data={"csrf_token": csrf, "action": "escalate",
                                                 "person": "nobody", "note": "x"})
    assert refused.status_code == 400
    assert client.post(f"{url}/action", data={
        "csrf_token": csrf, "action": "non_compliant", "note": "tone"}).status_code == 303
    html = client.get(url).text
    assert "head.of.credit@halden-supply.example" in html and "non_compliant" in html
    with Session(sqlite_engine) as session:
        reviews = list(session.scalars(select(Review).order_by(col(Review.id))))
        case = session.scalars(select(ReviewCase)).one()
    assert [(r.disposition, r.tag) for r in reviews] == [
        ("confirmed", "cease_contact"), ("escalate", None), ("non_compliant", None)]
    assert reviews[0].details == {"confidence": 0.9, "pipeline_version": "v-test"}
    assert (case.state, case.verdict, case.assignee) == (
        "closed", "non_compliant", "head.of.credit@halden-supply.example")
    assert actions(sqlite_engine)[-3:] == [
        "disposition.confirmed", "disposition.escalate", "disposition.non_compliant"]


def test_collector_acknowledges_own_alert_once(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client, csrf = client_as("collector")
    url = f"/alerts/{seeded.maria_alert}"
    assert client.post(f"{url}/ack", data={"csrf_token": csrf, "note": "calling them"}
                       ).status_code == 303
    assert client.post(f"{url}/ack", data={"csrf_token": csrf}).status_code == 400
    assert "Acknowledged by maria.lopez@" in client.get(url).text
    with Session(sqlite_engine) as session:
        ack = session.scalars(select(AlertAck)).one()
        assert (ack.owner, ack.note) == (USERS["collector"], "calling them")
    assert actions(sqlite_engine)[-1] == "alert.acknowledged"


def test_proposal_decided_from_the_customer_page_is_audited(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    reviewer, csrf = client_as("reviewer")
    assert reviewer.post(f"/proposals/{seeded.proposal}/decide", data={
        "csrf_token": csrf, "decision": "approve"}).status_code == 403
    client, csrf = client_as("collector")
    page = client.get(f"/customers/{seeded.maria_customer}").text
    assert "<svg" in page and "<polyline" in page and "credit_review" in page
    assert client.post(f"/proposals/{seeded.proposal}/decide", data={
        "csrf_token": csrf, "decision": "override", "note": "agreed a plan"}).status_code == 303
    with Session(sqlite_engine) as session:
        proposal = session.get(Proposal, seeded.proposal)
        assert proposal and (proposal.state, proposal.decided_by) == (
            "overridden", USERS["collector"])
        entry = session.scalars(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
        assert entry and entry.action == "proposal.overridden" and "agreed a plan" in entry.details
        assert audit.verify(session).ok


def test_pseudonymised_review_masks_until_reidentified_with_a_reason(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    client, csrf = client_as("reviewer", pseudonymise=True)
    url = f"/messages/{seeded.dispute}"
    html = client.get(url).text
    for secret in ("Brightline", "Dana Whitfield", "dana@brightline.example"):
        assert secret not in html
    assert client.get("/queue").text.count("Brightline") == 0
    assert client.post(f"{url}/reidentify", data={"csrf_token": csrf}).status_code == 400
    assert client.post(f"{url}/reidentify", data={
        "csrf_token": csrf, "reason": "legal hold request 42"}).status_code == 303
    html = client.get(url).text
    assert "Brightline" in html and "Dana Whitfield" in html
    with Session(sqlite_engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
        assert entry and entry.action == "reidentify" and "legal hold request 42" in entry.details
    # collectors and admins are never masked: they work with customers by name
    admin, _ = client_as("admin", pseudonymise=True)
    assert "Brightline" in admin.get(url).text


def test_logout_ends_the_session(client_as: ClientAs, seeded: Seeded) -> None:
    client, csrf = client_as("reviewer")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/queue").status_code == 303


def test_next_parameter_cannot_send_users_elsewhere(seeded: Seeded, sqlite_engine: Engine) -> None:
    client = make_client(sqlite_engine)
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login", data={"email": USERS["admin"], "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text),
                                           "next": "https://evil.example/"})
    assert response.headers["location"] == "/queue"
    assert sign_in(make_client(sqlite_engine), USERS["admin"])


def test_edited_message_shows_its_earlier_versions_masked_and_escaped(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    with session_scope(sqlite_engine) as session:
        message = session.get(Message, seeded.chat)
        assert message is not None
        message.edited_at = datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
        session.add(message)
        customer = session.get(Customer, message.customer_id)
        assert customer is not None
        session.add(MessageRevision(
            message_id=seeded.chat, body_text="x", text_hash="a",
            new_text=f"{customer.name} will pay <b>Friday</b>", edited_at=None))
    client, _ = client_as("reviewer", pseudonymise=True)
    html = client.get(f"/messages/{seeded.chat}").text
    assert "edited 2026-11-19 09:30 UTC" in html
    assert re.search(r'<details class="revisions"><summary>Earlier versions \(1\).*'
                     r"As first written</h3>\s*<pre class=\"text revision\">"
                     r"\[[0-9A-F]{6}\] will pay &lt;b&gt;Friday&lt;/b&gt;</pre>", html, re.S)
    unedited = client.get(f"/messages/{seeded.dispute}").text
    assert 'class="revisions"' not in unedited and "edited 20" not in unedited


def test_an_edit_without_a_time_says_so_and_orders_its_versions(
    client_as: ClientAs, seeded: Seeded, sqlite_engine: Engine
) -> None:
    """WhatsApp marks edits without timing them: the page says the message was edited, and
    lists the text as first written before the earlier edit."""
    with session_scope(sqlite_engine) as session:
        message = session.get(Message, seeded.chat)
        assert message is not None
        message.edited = True
        session.add(message)
        session.add(MessageRevision(message_id=seeded.chat, body_text="y", text_hash="b",
                                    new_text="second words", edited=True,
                                    recorded_at=datetime(2026, 11, 18, tzinfo=UTC)))
        session.add(MessageRevision(message_id=seeded.chat, body_text="x", text_hash="a",
                                    new_text="first words",
                                    recorded_at=datetime(2026, 11, 19, tzinfo=UTC)))
    client, _ = client_as("reviewer")
    html = client.get(f"/messages/{seeded.chat}").text
    assert "edited (the source gives no time)" in html
    assert re.search(r"As first written</h3>\s*<pre class=\"text revision\">first words</pre>"
                     r"\s*<h3>An earlier edit</h3>\s*<pre class=\"text revision\">second words",
                     html)
