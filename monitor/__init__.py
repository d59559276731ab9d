"""Monitor: rules over the store, evaluated at an explicit `now`, recorded as alerts."""

from monitor.rules import RULES, Finding
from monitor.runner import evaluate, record_findings, run_rules
from monitor.view import StoreView

__all__ = ["RULES", "Finding", "StoreView", "evaluate", "record_findings", "run_rules"]
