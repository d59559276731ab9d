"""Local users, passwords, sessions and CSRF tokens for the review UI.

Passwords are hashed with scrypt and a per-user salt (stdlib, no extra dependency);
session tokens are random and stored only as their SHA-256; each session has its own CSRF
token that every form post must echo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from commwatch.store import AuditEntry, User, WebSession

ROLES = ("reviewer", "collector", "admin")
# scrypt cost: 16 MiB and ~50 ms a check, the interactive-login setting of RFC 7914.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
MIN_PASSWORD = 10


class AuthError(Exception):
    """A user cannot be created or changed as asked; the message says why."""


def hash_password(password: str, *, n: int = _N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_R, p=_P,
                            dklen=_DKLEN, maxmem=64 * 1024 * 1024)
    b64 = base64.b64encode
    return f"scrypt${n}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected),
                                maxmem=64 * 1024 * 1024)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so a wrong address takes as long as a
    wrong password and the response time does not tell which users exist."""
    return hash_password(secrets.token_hex(16))


def add_user(session: Session, email: str, name: str, role: str, password: str) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if "@" not in email:
        raise AuthError(f"{email!r} is not an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.scalars(select(User).where(col(User.email) == email)).first() is not None:
        raise AuthError(f"a user {email} already exists")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalars(
        select(User).where(col(User.email) == email.strip().lower(), col(User.active).is_(True))
    ).first()
    if user is None:
        check_password(password, _dummy_hash())
        return None
    return user if check_password(password, user.password_hash) else None


# Audit actions that start a fresh count of failed sign-ins for an address.
LOCKOUT_RESETS = ("login.unlocked", "user.password_set")
_TARGET_LENGTH = 64  # audit_log.target_id


def login_target(email: str) -> str:
    """The address as the audit log's target id records it (the column holds 64 characters)."""
    return email.strip().lower()[:_TARGET_LENGTH]


def locked_until(session: Session, email: str, now: datetime, max_failures: int,
                 window: timedelta) -> datetime | None:
    """When sign-in for `email` opens again, or None if it is open now.

    Counts the failed sign-ins the audit log holds for the address within `window`, since
    its user last signed in and since an admin last unlocked it or reset its password. The
    address need not belong to a user: unknown addresses lock the same way, so a lockout
    does not tell which users exist."""
    target = login_target(email)
    since = now - window
    user = session.scalars(select(User).where(col(User.email) == email.strip().lower())).first()
    if user is not None and user.last_login_at is not None:
        since = max(since, user.last_login_at)
    reset = session.execute(
        select(func.max(col(AuditEntry.at))).where(
            col(AuditEntry.action).in_(LOCKOUT_RESETS),
            col(AuditEntry.target_id) == target)
    ).scalar_one_or_none()
    if reset is not None:
        since = max(since, reset)
    failures = list(session.scalars(
        select(col(AuditEntry.at)).where(
            col(AuditEntry.action) == "login.failed", col(AuditEntry.target_id) == target,
            col(AuditEntry.at) > since)
        .order_by(col(AuditEntry.at).desc()).limit(max_failures)
    ))
    if len(failures) < max_failures:
        return None
    # Open again once the oldest of the last `max_failures` failures leaves the window.
    return failures[-1] + window


def find_user(session: Session, email: str) -> User:
    found = session.scalars(select(User).where(col(User.email) == email.strip().lower())).first()
    if found is None:
        raise AuthError(f"no user {email.strip().lower()}")
    return found


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session of the user ends."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password needs at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    session.add(user)
    end_sessions_of(session, user)


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable or re-enable a user; disabling ends every session of the user."""
    user.active = active
    session.add(user)
    if not active:
        end_sessions_of(session, user)


def end_sessions_of(session: Session, user: User) -> int:
    assert user.id is not None
    result = session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A valid session and its user, for one request."""

    user: User
    session_id: int
    csrf_token: str
    reidentified: frozenset[str]


def start_session(session: Session, user: User, now: datetime, lifetime: timedelta) -> str:
    """A new session for `user`; returns the token for the cookie (never stored as is)."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(WebSession(token_hash=_token_hash(token), user_id=user.id,
                           csrf_token=secrets.token_urlsafe(32), created_at=now,
                           expires_at=now + lifetime))
    # Expired sessions of anyone are swept here rather than by a job of their own.
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))
    user.last_login_at = now
    session.add(user)
    return token


def load_session(session: Session, token: str | None, now: datetime) -> SignedIn | None:
    if not token:
        return None
    row = session.execute(
        select(WebSession, User).join(User, col(User.id) == col(WebSession.user_id))
        .where(col(WebSession.token_hash) == _token_hash(token))
    ).first()
    if row is None:
        return None
    web, user = row
    if web.expires_at <= now or not user.active:
        return None
    assert web.id is not None
    return SignedIn(user, web.id, web.csrf_token, frozenset(web.reidentified or []))


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(col(WebSession.token_hash) == _token_hash(token)))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def user_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(User)).scalar_one())
