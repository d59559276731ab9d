"""Pseudonymised review: customers and people shown under stable aliases until a reviewer
re-identifies them, with a reason that goes to the audit log."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _alias(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.lower()}".encode()).hexdigest()[:6].upper()


def customer_scope(customer_id: int | None, message_id: int | None = None) -> str:
    """What one re-identification unmasks: a customer, or a message that has none."""
    return f"customer:{customer_id}" if customer_id else f"message:{message_id}"


class Masker:
    """Masks names and addresses for one request; `active` is False when nothing is masked."""

    def __init__(self, active: bool, unmasked: Iterable[str] = ()) -> None:
        self.active = active
        self.unmasked = frozenset(unmasked)

    def masks(self, scope: str) -> bool:
        return self.active and scope not in self.unmasked

    def customer(self, customer_id: int | None, name: str, scope: str) -> str:
        if not customer_id:
            return "—"
        return f"Customer {_alias('customer', str(customer_id))}" if self.masks(scope) else name

    def person(self, name: str, address: str, scope: str) -> str:
        if not self.masks(scope):
            return f"{name} <{address}>" if name and address else (name or address)
        return f"Person {_alias('person', address or name)}"

    def text(self, value: str, scope: str, names: Iterable[str] = ()) -> str:
        """`value` with e-mail addresses and the given names replaced by aliases."""
        if not self.masks(scope):
            return value
        value = EMAIL.sub(lambda m: f"person-{_alias('person', m.group(0))}@masked", value)
        for name in sorted({n for n in names if n and len(n) > 2}, key=len, reverse=True):
            value = re.sub(re.escape(name), f"[{_alias('name', name)}]", value,
                           flags=re.IGNORECASE)
        return value
