"""Invoice and PO numbers in a message's text, for matching it to a customer no address
matched (`ingest.customers`) and for placing chat messages in threads (`ingest.crosschannel`)."""

from __future__ import annotations

import re

INVOICE_REF = re.compile(
    r"(?i)\b(?:inv(?:oice)?|rechnung|facture|factura|fattura)?[\s#:.\-no]*"
    r"([A-Z]{2,5}[-/]?\d{3,}(?:[-/]\d+)?|\d{4}/\d{3,})\b"
)
