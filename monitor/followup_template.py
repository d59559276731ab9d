"""The follow-up template: its default text, the fields it may read, and the Jinja2 sandbox
it renders in (no globals, no other templates, no operator that builds a huge value).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError

DEFAULT_TEMPLATE = """\
Hello{% if contact_name %} {{ contact_name }}{% endif %},

We sent you {{ invoice }} on {{ sent_on }} and have not heard back from you yet.
Could you please confirm that you received it and that it has reached the right
person for payment? If anything on it needs correcting, just reply to this email.

Thank you,
{{ sender_name or "Accounts Receivable" }}
"""

# What a template can read; nothing else is in its namespace (no globals, no loader).
TEMPLATE_FIELDS: dict[str, Any] = {
    "customer": "Brightline Builders",
    "contact_name": "Jan Novak",
    "invoice": "invoice INV-10023",
    "invoice_numbers": ["INV-10023"],
    "attachments": ["INV-10023.pdf"],
    "subject": "Invoice INV-10023",
    "sent_on": "16 November 2026",
    "sent_at": "2026-11-16T10:00:00+00:00",
    "days": 3,
    "sender_name": "Maria Lopez",
    "owner": "Maria Lopez",
}

_MAX_TEXT = 20_000  # characters: a follow-up body, or one string a template builds


class _FollowUpSandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no dunder or internal attributes, no unsafe callables), with no
    globals, no other templates, and no operator that can build a huge string or number."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            raise SecurityError("the ** operator is not allowed in follow-up templates")
        for seq, times in ((left, right), (right, left)):
            # Checked before multiplying: `'-' * 10**9` must not allocate a gigabyte first.
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                if len(seq) * times > _MAX_TEXT:
                    raise SecurityError(f"a template value longer than {_MAX_TEXT} characters")
        return operator.mul(left, right)


class _NoFiles(BaseLoader):
    """`include`, `import` and `extends` would read other templates: refused."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, None]:
        raise TemplateNotFound(
            template, f"follow-up templates cannot include other templates ({template!r})"
        )


def _environment() -> SandboxedEnvironment:
    env = _FollowUpSandbox(
        autoescape=False, undefined=StrictUndefined, loader=_NoFiles(), keep_trailing_newline=True
    )
    env.globals.clear()  # range, lipsum, dict, cycler, joiner, namespace
    return env


_ENV = _environment()


def compile_template(source: str) -> Template:
    return _ENV.from_string(source)


def render_body(template: str | Template, context: Mapping[str, Any]) -> str:
    """The follow-up text; raises jinja2.TemplateError (SecurityError for a forbidden
    attribute such as `__class__`, UndefinedError for a name not in the context)."""
    compiled = compile_template(template) if isinstance(template, str) else template
    body = compiled.render(dict(context))
    if len(body) > _MAX_TEXT:
        raise SecurityError(f"the follow-up is longer than {_MAX_TEXT} characters")
    return body


def describe(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)  # syntax errors know their line
    where = f" (line {line})" if line else ""
    names = ", ".join(sorted(TEMPLATE_FIELDS))
    what = (exc.message or type(exc).__name__).rstrip(".")
    return f"{what}{where}; a template may use only: {names}"
