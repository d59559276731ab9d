"""The review web app: FastAPI + Jinja2, rendered on the server. This module builds the app
and holds what every page shares: the signed-in user, roles, CSRF, security headers."""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.datastructures import FormData

from commwatch.store import Customer, session_scope, utcnow
from review import audit, auth
from review.config import ReviewConfig
from review.privacy import Masker

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "commwatch_session"
LOGIN_CSRF_COOKIE = "commwatch_login_csrf"
# No inline script or style, no framing: a payload that slipped past escaping still cannot
# run, and the UI cannot be overlaid by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    """Not for this user. Answered 404 for records, so their existence does not leak."""

    def __init__(self, status: int = 403) -> None:
        self.status = status


@dataclass(frozen=True)
class Settings:
    engine: Engine
    config: ReviewConfig
    base_url: str
    clock: Callable[[], datetime]

    @property
    def secure(self) -> bool:
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class Ctx:
    """One signed-in request."""

    request: Request
    me: auth.SignedIn
    settings: Settings

    @property
    def email(self) -> str:
        return self.me.user.email

    @property
    def role(self) -> str:
        return self.me.user.role

    @property
    def now(self) -> datetime:
        return self.settings.clock()

    @property
    def masker(self) -> Masker:
        return Masker(self.settings.config.pseudonymise and self.role == "reviewer",
                      self.me.reidentified)

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(403)

    def may_see(self, customer: Customer | None) -> bool:
        """Collectors see their own customers only; reviewers and admins see all."""
        if self.role != "collector":
            return True
        return customer is not None and (customer.owner_email or "").lower() == self.email

    def check_customer(self, customer: Customer | None) -> None:
        if not self.may_see(customer):
            raise Forbidden(404)


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True  # every template, whatever its file name


def settings(request: Request) -> Settings:
    return request.app.state.settings


def render(ctx: Ctx | None, request: Request, name: str, status: int = 200,
           **values: Any) -> HTMLResponse:
    values.update(request=request, ctx=ctx, root=request.scope.get("root_path", ""))
    if ctx is not None:
        values["csrf"] = ctx.me.csrf_token
    return templates.TemplateResponse(request, name, values, status_code=status)


def current(request: Request) -> Ctx:
    """The signed-in user of this request, or LoginRequired (answered with the login page)."""
    s = settings(request)
    with Session(s.engine) as session:
        me = auth.load_session(session, request.cookies.get(SESSION_COOKIE), s.clock())
    if me is None:
        raise LoginRequired()
    return Ctx(request, me, s)


async def posted(request: Request) -> tuple[Ctx, FormData]:
    """A form post from a signed-in user, refused unless it carries the session's CSRF token."""
    ctx = current(request)
    form = await request.form()
    token = form.get("csrf_token")
    if not auth.csrf_ok(ctx.me.csrf_token, token if isinstance(token, str) else None):
        raise Forbidden(403)
    return ctx, form


def field(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def back(request: Request, path: str) -> RedirectResponse:
    """303 (post/redirect/get) to a path of this app."""
    return RedirectResponse(f"{request.scope.get('root_path', '')}{path}", status_code=303)


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/queue"
    return value if not urlsplit(value).netloc else "/queue"


def create_app(engine: Engine, config: ReviewConfig, base_url: str,
               clock: Callable[[], datetime] = utcnow) -> FastAPI:
    from review import pages_admin, pages_customer, pages_messages

    app = FastAPI(title="commwatch review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = Settings(engine, config, base_url, clock)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                      ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.method != "GET":
            return HTMLResponse("Sign in again: your session ended.", status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/login?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        text = "Not found." if exc.status == 404 else "Not allowed for your role, or the form " \
            "expired (reload the page and try again)."
        return render(None, request, "error.html", exc.status, message=text)

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/queue", failed: int = 0,
                   locked: int = 0) -> Response:
        token = secrets.token_urlsafe(32)
        response = render(None, request, "login.html", next=_safe_next(next),
                          login_csrf=token, failed=bool(failed), locked=max(0, min(locked, 1440)))
        # Login has no session yet: a cookie-and-field pair stops another site posting it.
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=settings(request).secure, max_age=3600)
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        s = settings(request)
        form = await request.form()
        token, cookie = form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)
        if not cookie or not auth.csrf_ok(cookie, token if isinstance(token, str) else None):
            raise Forbidden(403)
        email, password = field(form, "email", 320).lower(), form.get("password")
        nxt = _safe_next(field(form, "next", 2000))
        root = request.scope.get("root_path", "")
        client = request.client.host if request.client else ""
        now, window = s.clock(), timedelta(minutes=s.config.login_lockout_minutes)
        with session_scope(s.engine) as session:
            until = auth.locked_until(session, email, now, s.config.login_max_failures, window)
            if until is not None:
                # Refused unchecked: no password is tried while the address is locked.
                audit.append(session, email or "(blank)", "login.throttled", "user",
                             auth.login_target(email),
                             {"client": client, "until": until.isoformat()}, at=now)
                user = None
            else:
                user = auth.authenticate(session, email,
                                         password if isinstance(password, str) else "")
                if user is None:
                    audit.append(session, email or "(blank)", "login.failed", "user",
                                 auth.login_target(email), {"client": client}, at=now)
                else:
                    cookie_token = auth.start_session(
                        session, user, now, timedelta(hours=s.config.session_hours))
                    audit.append(session, user.email, "login", "user", user.id or 0, {}, at=now)
        if until is not None:
            minutes = max(1, math.ceil((until - now).total_seconds() / 60))
            return RedirectResponse(
                f"{root}/login?{urlencode({'next': nxt, 'locked': minutes})}", status_code=303)
        if user is None:
            return RedirectResponse(f"{root}/login?{urlencode({'next': nxt, 'failed': 1})}",
                                    status_code=303)
        response = RedirectResponse(f"{root}{nxt}", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie_token, httponly=True, samesite="lax",
                            secure=s.secure, max_age=int(s.config.session_hours * 3600),
                            path=root or "/")
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        ctx, _ = await posted(request)
        with session_scope(ctx.settings.engine) as session:
            auth.end_session(session, request.cookies.get(SESSION_COOKIE))
            audit.append(session, ctx.email, "logout", "user", ctx.me.user.id or 0, {})
        response = back(request, "/login")
        response.delete_cookie(SESSION_COOKIE, path=request.scope.get("root_path", "") or "/")
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        current(request)
        return back(request, "/queue")

    app.include_router(pages_messages.router)
    app.include_router(pages_customer.router)
    app.include_router(pages_admin.router)
    return app
