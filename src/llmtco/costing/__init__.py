"""Costing: each option's costs as one Ledger of line items x months.

Pure functions over numpy arrays with a leading sample axis: (S, M) arrays of
USD per month. Totals, NPV, cost per million tokens and break-even all derive
from ledgers (``finance``), never from a second path.
"""

from llmtco.costing.finance import breakeven_month, cumulative, discount_factors, npv
from llmtco.costing.ledger import Ledger, LineItem

__all__ = ["Ledger", "LineItem", "breakeven_month", "cumulative", "discount_factors", "npv"]
