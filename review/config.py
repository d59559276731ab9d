"""The `[review]` table: where the review UI listens, its sessions and its privacy mode."""

from __future__ import annotations

from pydantic import Field, field_validator

from commwatch.configbase import StrictModel


class ReviewConfig(StrictModel):
    """The review web UI (`commwatch serve`)."""

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8000, ge=1, le=65535)
    # The address people reach the UI at; alert links use [notify] review_url, so when both
    # are set they must agree. Unset, it is [notify] review_url.
    base_url: str | None = None
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # Sign-in throttling: after this many failed sign-ins for one e-mail address within
    # `login_lockout_minutes`, further attempts are refused unchecked until the window
    # passes, an admin runs `commwatch users unlock`, or the password is reset.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_lockout_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # Secure cookies need TLS in front of the UI; unset, they are on when base_url is https.
    secure_cookies: bool | None = None
    # Reviewers see customers and senders masked until they re-identify with a reason.
    pseudonymise: bool = False
    # With `commwatch run`, also serve the UI from the same process.
    serve_with_run: bool = False

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")
