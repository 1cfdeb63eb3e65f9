"""Payment orders / remittance advice (820) -> ``payment`` (the engine's ``PaymentIn``).

BPR01 is the transaction handling code (``C`` payment with remittance, ``I`` remittance only,
the payment travelling separately...), BPR02 the amount, BPR04 the payment method (``ACH``,
``CHK``, ``FWT`` wire...), BPR16 the effective date; TRN02 the trace (check or EFT) number, our
payment id; CUR02 the currency; N1 PR the payer (-> customer through ``customer_map``, else
the partner's ``customer_id``).  Each RMR with RMR01 ``IV`` references an invoice: RMR02 the
invoice number, RMR04 the amount paid, RMR05 the invoice amount, RMR06 the discount taken.

ADX adjustments (ADX01 amount, ADX02 reason code, ADX03/04 reference) belong to the RMR before
them in the same ENT loop (``invoice_id`` set: that RMR04 is already net of them).  An ADX
before any RMR of its ENT loop (the X12 order puts the entity's own ADX loop before its RMR
loop), or in an ENT loop with no RMR, or before any ENT, adjusts the payer's account as a whole
(``invoice_id`` empty: BPR02 is net of it).  They travel in the payment's ``adjustments``
(``AdjustmentIn``), in document order; cash application turns each deduction into a dispute.

Invariant checked as a warning (cash application settles it, not a 997 rejection): BPR02
equals the RMR04 amounts plus every adjustment not tied to an invoice, in whichever ENT loop.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import (
    Findings,
    Party,
    currency_of,
    date_of,
    el,
    number,
    read_party,
    required,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["map_820"]

_METHODS = {"ACH": "ach", "CHK": "check", "FWT": "wire", "BOP": "bank_option", "NON": "none"}
_INVOICE = "IV"


def map_820(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """820 -> ``payment`` (with its ADX ``adjustments``); ``extras`` for payer and payment date."""
    f = Findings(ts)
    bpr = trn = cur = None
    parties: dict[str, Party] = {}
    remits: list[Segment] = []
    adxs: list[tuple[Segment, Segment | None]] = []  # (ADX, its RMR; None: of the account)
    rmr: Segment | None = None  # the RMR loop open in the current ENT loop
    for seg in ts.segments:
        sid = seg.id
        if sid == "RMR":
            remits.append(seg)
            rmr = seg
        elif sid == "ADX":
            adxs.append((seg, rmr))
        elif sid == "ENT":
            rmr = None
        elif sid == "BPR":
            bpr = bpr or seg
        elif sid == "TRN":
            trn = trn or seg
        elif sid == "CUR":
            cur = cur or seg
        elif sid == "N1":
            party = read_party(seg, f)
            parties.setdefault(party["role"], party)
    amount = method = None
    if bpr is None:
        f.missing_segment("BPR", "820.BPR", "The remittance has no BPR segment.")
    else:
        required(f, bpr, 1, "305", "820.BPR01", "transaction handling code")
        amount = number(f, bpr, 2, "782", "820.BPR02", "payment amount", required=True, places=4)
        code = el(bpr, 4)
        method = _METHODS.get(code, code.lower()) or "ach"
        date_of(f, bpr, 16, "820.BPR16", "payment effective date")
    payment_id = ""
    if trn is None:
        f.missing_segment("TRN", "820.TRN", "The remittance has no TRN trace number.", at=f.after(bpr))
    else:
        payment_id = required(f, trn, 2, "127", "820.TRN02", "trace number")
    currency = currency_of(f, cur, partner.currency, "820.CUR02")
    payer = parties.get("PR")
    customer = partner.customer_for(((payer or {}).get("id", ""),))
    if customer is None:
        f.missing_segment(
            "N1",
            "820.N1",
            "No N1 PR identifies the payer and the partner has no customer_id.",
            at=f.first("ENT", "RMR"),
        )
    references: list[dict[str, str]] = []
    remittance: list[dict[str, str]] = []
    paid_total = Decimal(0)
    for remit in remits:
        paid = _remit(f, remit, references, remittance)
        paid_total += paid or 0
    adjustments: list[dict[str, str]] = []
    unassigned = Decimal(0)  # what BPR02 is net of beyond the RMR04 amounts
    for adx, of in adxs:
        adjustment = _adjustment(f, adx, "" if of is None or el(of, 1) != _INVOICE else el(of, 2))
        adjustments.append(adjustment)
        if of is None:
            unassigned += Decimal(adjustment["amount"])
    if f.failed or amount is None or bpr is None:
        return MapResult(errors=tuple(f.errors))
    if remits and paid_total + unassigned != amount:
        f.bad_value(
            bpr,
            2,
            "782",
            "820.BPR02",
            f"BPR02 pays {amount}, but the RMR04 amounts and the account-level adjustments add up to "
            f"{paid_total + unassigned}; the difference is left for cash application.",
            expected=str(paid_total + unassigned),
            severity="warning",
        )
    payload = {
        "payment_id": payment_id,
        "customer_id": customer,
        "amount": str(amount),
        "currency": currency,
        "method": method,
        "references": references,
        "adjustments": adjustments,
    }
    extras: dict[str, Any] = {
        "handling": el(bpr, 1),
        "payment_date": el(bpr, 16),
        "remittance": remittance,
        "parties": parties,
    }
    return MapResult.of([Mapped(kind="payment", payload=payload, extras=extras)], f.errors)


def _remit(
    f: Findings, rmr: Segment, references: list[dict[str, str]], other: list[dict[str, str]]
) -> Decimal | None:
    """Read one RMR into ``references`` (invoices) or ``other`` (any other qualifier).

    ``references`` entries are ``RemittanceLineIn``-shaped; what that model lacks (RMR05, the
    invoice amount) goes to ``other`` under the same reference.
    """
    qualifier = el(rmr, 1)
    ref = required(f, rmr, 2, "127", "820.RMR02", "reference identification")
    paid = number(f, rmr, 4, "782", "820.RMR04", "amount paid", required=True, places=4)
    invoiced = number(f, rmr, 5, "782", "820.RMR05", "invoice amount", places=4)
    discount = number(f, rmr, 6, "782", "820.RMR06", "discount taken", places=4)
    if paid is None or not ref:
        return paid
    if qualifier == _INVOICE:
        references.append({"invoice_id": ref, "amount": str(paid), "discount": str(discount or Decimal(0))})
    note = {"qualifier": qualifier, "reference": ref, "amount_paid": str(paid)}
    if invoiced is not None:
        note["invoice_amount"] = str(invoiced)
    other.append(note)
    return paid


def _adjustment(f: Findings, adx: Segment, invoice: str) -> dict[str, str]:
    amount = number(f, adx, 1, "782", "820.ADX01", "adjustment amount", required=True, places=4)
    reason = required(f, adx, 2, "426", "820.ADX02", "adjustment reason code", max_len=3)
    return {
        "invoice_id": invoice,
        "amount": str(amount or 0),
        "reason_code": reason,
        "reference_qualifier": el(adx, 3),
        "reference": el(adx, 4),
    }
