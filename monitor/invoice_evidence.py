"""What counts as an invoice: the references in a subject or file name, and whether an
outbound email sends an invoice (InvoiceEvidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_REFERENCE = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<code>inv[-_#/ ]?\d[\w/-]*)"
    r"|invoice[\s_:#.-]*(?:(?:no|nr|num|number)\.?[\s_:#.-]*)?(?P<number>[a-z]{0,6}[-/]?\d[\w/-]*)"
    r")",
    re.IGNORECASE,
)
_INVOICE_WORD = re.compile(r"(?<![a-z])(?:invoice|inv(?=[\s_#./-]*\d))", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class InvoiceEvidence:
    references: tuple[str, ...]  # invoice numbers as written, e.g. INV-10023
    attachments: tuple[str, ...]  # the invoice files attached


def invoice_references(text: str) -> list[str]:
    found: list[str] = []
    for match in _REFERENCE.finditer(text):
        ref = (match.group("code") or match.group("number")).rstrip("-/_").upper()
        if ref not in found:
            found.append(ref)
    return found


def invoice_evidence(
    subject: str, attachments: Sequence[Mapping[str, Any]], extensions: Iterable[str] = ("pdf",)
) -> InvoiceEvidence | None:
    """Whether an outbound email sends an invoice, and which.

    An invoice is sent when a document (PDF by default) named like an invoice is attached
    (`INV-10023.pdf`, `Invoice_Oct.pdf`, not `inventory.pdf`); when a document is attached
    to a subject that says "invoice"; or when a new (not "Re:") subject names an invoice
    number. A reply that only mentions an invoice ("Re: price on INV-10023") sends none.
    """
    suffixes = tuple(f".{e}" for e in extensions)
    documents = []
    for item in attachments:
        name = str(item.get("filename") or "")
        ctype = str(item.get("content_type") or "").lower()
        if name.lower().endswith(suffixes) or (
            "pdf" in extensions and ctype == "application/pdf"
        ):
            documents.append(name)
    named = [n for n in documents if _INVOICE_WORD.search(n)]
    references = invoice_references(subject)
    for name in named:
        stem = name.rsplit(".", 1)[0]
        references += [r for r in invoice_references(stem) if r not in references]
    if named:
        return InvoiceEvidence(tuple(references), tuple(named))
    if documents and _INVOICE_WORD.search(subject):
        return InvoiceEvidence(tuple(references), tuple(documents))
    if references and not _REPLY.match(subject):
        return InvoiceEvidence(tuple(references), ())
    return None
