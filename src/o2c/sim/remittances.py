"""Remittances the way customers really send them, with the truth of what each one pays.

Given a book of open invoices, :func:`remittances` writes ``payment`` message bodies (the
canonical :class:`~o2c.adapters.canonical.PaymentIn`) as lockboxes, 820s and bank files bring
them: exact invoice numbers, numbers with formatting noise or a typo, the purchase order
instead, an amount and nothing else, references only in a bank's free text, several invoices
in one payment with or without an amount per line, short pays (with or without the 820's
adjustment reason), discounts taken within terms and after, overpayments, and payers no one
can identify. How often each happens is a :class:`NoiseProfile`.

Next to each body it gives the :class:`Truth`: which invoice receives how much and what
discount, what becomes a dispute, what is credit on account, and what a person has to place
(a payer no one can identify, an amount two open invoices are equally open for). What the
truth applies, keeps on account and leaves to a person adds up to the payment amount.

Deterministic: the same book, profile and seed give the same remittances.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class BookInvoice:
    """An open invoice as the remitter sees it (its copy of the invoice)."""

    invoice_id: str
    customer_id: str
    amount: Decimal
    due_date: date
    #: the early payment discount of its terms, and the last day it may be taken
    discount: Decimal = _ZERO
    discount_date: date | None = None
    po_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseProfile:
    """How remitters write their payments. Rates are probabilities per payment, or per
    remittance line for the reference styles.

    Payment shapes (at most one per payment, tried in this order):

    - ``unidentified``: no account and no usable reference (a bank transfer from a payer
      name o2c does not know, with text that names no invoice);
    - ``text_only``: a bank transfer that names no account and gives its invoice numbers only
      in free text (``PAYMENT INV US01-0000123 / US01-0000124 THANK YOU``), no structured
      lines;
    - ``amount_only``: an account, an amount and no reference at all (one invoice);
    - ``combined``: 2 to ``max_combined`` invoices in one payment; ``combined_without_amounts``
      of them list the references without an amount per line;
    - otherwise one invoice with one remittance line.

    Reference styles of a structured line (weights, normalised): ``exact``, ``formatting``
    (lower case, spaces, dropped dashes, dropped zero padding, an ``INV`` prefix),
    ``typo`` (two neighbouring characters swapped, or one digit wrong), ``po`` (the purchase
    order number instead of the invoice's).

    Amounts of a line that states one (single invoices and combined payments with amounts):
    ``short_pay`` (less than open by 1-15 %; ``short_pay_with_reason`` of them with an 820
    adjustment and its reason code), ``discount`` (the terms' discount taken on or before the
    discount date; drawn only for invoices whose discount is still open, the payer claims it
    on the line ``discount_claimed`` of the time), ``late_discount`` (the discount taken after
    its date, claimed: a terms dispute), ``overpayment`` (1-50 more than open; single
    invoices only); otherwise the open amount.

    Defaults: about 17 % of lines carry no usable invoice reference (purchase orders,
    amounts only, unidentified payers) and about 13 % of payments are short pays or
    combined.
    """

    unidentified: float = 0.01
    text_only: float = 0.06
    amount_only: float = 0.08
    combined: float = 0.08
    combined_without_amounts: float = 0.4
    max_combined: int = 4
    exact: float = 0.55
    formatting: float = 0.25
    typo: float = 0.08
    po: float = 0.14
    short_pay: float = 0.05
    short_pay_with_reason: float = 0.5
    discount: float = 0.5
    discount_claimed: float = 0.5
    late_discount: float = 0.02
    overpayment: float = 0.02

    def rows(self) -> list[tuple[str, float, str]]:
        """The profile as (name, value, meaning) rows, for reports."""
        doc = {
            "unidentified": "payments: no account, no usable reference",
            "text_only": "payments: invoice numbers only in a bank's free text, no account",
            "amount_only": "payments: an account and an amount, no reference",
            "combined": "payments: 2 to max_combined invoices in one",
            "combined_without_amounts": "of combined: references without per-line amounts",
            "max_combined": "invoices in one combined payment, at most",
            "exact": "line reference style weight: the invoice number as issued",
            "formatting": "line reference style weight: case, spaces, dashes, zero padding, INV prefix",
            "typo": "line reference style weight: two characters swapped or one digit wrong",
            "po": "line reference style weight: the purchase order number instead",
            "short_pay": "lines with an amount: paid 1-15 % short",
            "short_pay_with_reason": "of short pays: with an 820 adjustment and reason code",
            "discount": "lines whose discount is still open: discount taken within terms",
            "discount_claimed": "of discounts: claimed on the line (else only deducted)",
            "late_discount": "lines with an amount: discount taken after its date",
            "overpayment": "single-invoice lines: paid 1-50 more than open",
        }
        return [(k, float(getattr(self, k)), v) for k, v in doc.items()]


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthLine:
    """What one invoice the payer meant receives. ``outcome`` is ``apply`` (a rule should
    place it) or ``person`` (no rule can tell: the cash waits for a person)."""

    invoice_id: str
    amount: Decimal
    discount: Decimal = _ZERO
    #: what the payer left open and should become a deduction dispute
    dispute: Decimal = _ZERO
    outcome: str = "apply"
    #: the noise this line was written with (reference style, amount kind, shape)
    noise: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    payment_id: str
    amount: Decimal
    customer_id: str
    lines: tuple[TruthLine, ...]
    on_account: Decimal = _ZERO

    @property
    def person(self) -> Decimal:
        return sum((t.amount for t in self.lines if t.outcome == "person"), _ZERO)

    @property
    def applied(self) -> Decimal:
        return sum((t.amount for t in self.lines if t.outcome == "apply"), _ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class Remittance:
    body: dict[str, Any]
    truth: Truth


def open_book(customers: int, invoices: int, today: date, seed: int = 1, prefix: str = "US01",
              repeat_amount: float = 0.03, discount_share: float = 0.5) -> list[BookInvoice]:
    """A book of ``invoices`` open invoices over ``customers`` accounts, as a distributor's AR
    looks: invoiced over the last 40 days, net 30, half of them with 2 % 10 days, amounts
    from 20 to 8,000, and ``repeat_amount`` of them for exactly the amount of another open
    invoice of the same customer (standing orders, the same delivery every week)."""
    rng = random.Random(seed)
    out: list[BookInvoice] = []
    last: dict[str, list[Decimal]] = {}
    for n in range(1, invoices + 1):
        cid = f"C{rng.randrange(customers):05d}"
        seen = last.setdefault(cid, [])
        if seen and rng.random() < repeat_amount:
            amount = rng.choice(seen)
        else:
            amount = (Decimal(rng.randint(2000, 800_000)) * _CENT)
        seen.append(amount)
        issued = today - timedelta(days=rng.randint(0, 40))
        has_discount = rng.random() < discount_share
        out.append(BookInvoice(
            invoice_id=f"{prefix}-{n:07d}", customer_id=cid, amount=amount,
            due_date=issued + timedelta(days=30),
            discount=(amount * Decimal("0.02")).quantize(_CENT) if has_discount else _ZERO,
            discount_date=issued + timedelta(days=10) if has_discount else None,
            po_number=f"45{n:08d}"))
    return out


def _formatting(rng: random.Random, ref: str) -> tuple[str, str]:
    kind = rng.choice(("lower", "spaces", "no_dash", "no_padding", "inv_prefix"))
    head, _, num = ref.partition("-")
    if kind == "lower":
        return ref.lower(), kind
    if kind == "spaces":
        return f"{head} {num}", kind
    if kind == "no_dash":
        return f"{head}{num}", kind
    if kind == "no_padding":
        return f"{head}-{int(num)}", kind
    return f"INV {ref}", kind


def _typo(rng: random.Random, ref: str, avoid: set[str]) -> tuple[str, str] | None:
    """A one-character typo of ``ref`` in its number, none of ``avoid`` (the payer's other
    open invoices: a reference equal to one of them is that invoice, not a typo)."""
    head, _, num = ref.partition("-")
    for _ in range(10):
        if rng.random() < 0.5:
            i = rng.randrange(len(num) - 1)
            if num[i] == num[i + 1]:
                continue
            typo, kind = num[:i] + num[i + 1] + num[i] + num[i + 2:], "swap"
        else:
            i = rng.randrange(len(num))
            typo, kind = num[:i] + rng.choice([d for d in "0123456789" if d != num[i]]) + num[i + 1:], "digit"
        out = f"{head}-{typo}"
        if out not in avoid:
            return out, kind
    return None


class _Writer:
    def __init__(self, book: Sequence[BookInvoice], today: date, profile: NoiseProfile, seed: int) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.p = profile
        self.by_id = {i.invoice_id: i for i in book}
        #: what is still open per invoice, after the payments written so far (as the truth has them)
        self.left = {i.invoice_id: i.amount for i in book}
        self.of: dict[str, list[str]] = {}
        for i in book:
            self.of.setdefault(i.customer_id, []).append(i.invoice_id)
        #: invoices no payment has touched yet, to be picked from (shuffled, popped from the end)
        self.fresh = [i.invoice_id for i in book]
        self.rng.shuffle(self.fresh)
        self.used: set[str] = set()

    def pick(self, n: int) -> list[BookInvoice]:
        """``n`` untouched invoices of one customer (fewer if it has fewer)."""
        while self.fresh:
            first = self.by_id[self.fresh.pop()]
            if first.invoice_id in self.used:
                continue
            self.used.add(first.invoice_id)
            out = [first]
            others = [k for k in self.of[first.customer_id] if k not in self.used]
            for k in self.rng.sample(others, min(n - 1, len(others))):
                self.used.add(k)
                out.append(self.by_id[k])
            return out
        raise ValueError("the book has no untouched invoice left: give it more invoices or fewer payments")

    def discount_open(self, inv: BookInvoice) -> bool:
        return inv.discount > 0 and inv.discount_date is not None and self.today <= inv.discount_date

    def reference(self, inv: BookInvoice, styles: Sequence[str]) -> tuple[dict[str, Any], str]:
        """A remittance line naming ``inv`` in a style drawn from the profile's weights."""
        p = self.p
        weights = {"exact": p.exact, "formatting": p.formatting, "typo": p.typo, "po": p.po}
        style = self.rng.choices(list(styles), weights=[weights[s] for s in styles])[0]
        if style == "formatting":
            ref, kind = _formatting(self.rng, inv.invoice_id)
            return {"invoice_id": ref}, f"formatting:{kind}"
        if style == "typo":
            avoid = {k for k in self.of[inv.customer_id] if self.left[k] > 0}
            typo = _typo(self.rng, inv.invoice_id, avoid)
            if typo is not None:
                return {"invoice_id": typo[0]}, f"typo:{typo[1]}"
            style = "exact"
        if style == "po":
            return {"reference": inv.po_number, "qualifier": "PO"}, "po"
        return {"invoice_id": inv.invoice_id}, "exact"

    def amount(self, inv: BookInvoice, single: bool, line: dict[str, Any],
               adjustments: list[dict[str, Any]]) -> tuple[TruthLine, Decimal, str]:
        """What a line with a stated amount pays ``inv``: (truth, cash, amount kind)."""
        p, rng = self.p, self.rng
        open_ = self.left[inv.invoice_id]
        r = rng.random()
        if r < p.short_pay:
            short = max(_CENT, (open_ * Decimal(rng.randint(1, 15)) / 100).quantize(_CENT))
            if self.discount_open(inv):
                # short by more than the discount the terms allow: not a discount taken
                short = max(short, inv.discount + _CENT)
            paid = open_ - short
            kind = "short_pay"
            if rng.random() < p.short_pay_with_reason:
                adjustments.append({"invoice_id": line.get("invoice_id") or inv.invoice_id,
                                    "amount": str(-short), "reason_code": rng.choice(("06", "04", "CS"))})
                kind = "short_pay_with_reason"
            return TruthLine(invoice_id=inv.invoice_id, amount=paid, dispute=short), paid, kind
        r -= p.short_pay
        if inv.discount > 0 and inv.discount_date is not None:
            if self.discount_open(inv) and rng.random() < p.discount:
                paid = open_ - inv.discount
                kind = "discount"
                if rng.random() < p.discount_claimed:
                    line["discount"] = str(inv.discount)
                    kind = "discount_claimed"
                return TruthLine(invoice_id=inv.invoice_id, amount=paid, discount=inv.discount), paid, kind
            if not self.discount_open(inv) and r < p.late_discount:
                paid = open_ - inv.discount
                line["discount"] = str(inv.discount)
                return (TruthLine(invoice_id=inv.invoice_id, amount=paid, dispute=inv.discount), paid,
                        "late_discount")
        r -= p.late_discount
        if single and r < p.overpayment:
            over = Decimal(rng.randint(1, 50))
            return TruthLine(invoice_id=inv.invoice_id, amount=open_), open_ + over, "overpayment"
        return TruthLine(invoice_id=inv.invoice_id, amount=open_), open_, "full"

    def settle(self, lines: Iterable[TruthLine]) -> None:
        for t in lines:
            if t.outcome == "apply":
                self.left[t.invoice_id] -= t.amount + t.discount

    def write(self, payment_id: str) -> Remittance:
        p, rng = self.p, self.rng
        body: dict[str, Any] = {"payment_id": payment_id, "currency": "USD", "method": "ach",
                                "customer_id": "", "references": [], "adjustments": [], "text": ""}
        r = rng.random()
        truth: list[TruthLine] = []
        on_account = _ZERO
        if r < p.unidentified:
            [inv] = self.pick(1)
            body |= {"payer_name": f"PAYER {rng.randrange(10**6):06d}",
                     "payer_account": f"DE{rng.randrange(10**12)}",
                     "text": rng.choice(("PAYMENT THANK YOU", f"CUST REF {rng.randrange(10**8):08d}",
                                         "INVOICES SEE MAIL"))}
            truth = [TruthLine(invoice_id=inv.invoice_id, amount=inv.amount, outcome="person",
                               noise=("unidentified",))]
            cash = inv.amount
        elif (r := r - p.unidentified) < p.text_only:
            invs = self.pick(rng.randint(1, p.max_combined) if rng.random() < 0.3 else 1)
            refs, kinds = [], []
            for inv in invs:
                if rng.random() < p.formatting / (p.exact + p.formatting):
                    ref, kind = _formatting(rng, inv.invoice_id)
                    if kind == "inv_prefix":  # the text says INV already
                        ref, kind = inv.invoice_id, "exact"
                    else:
                        kind = f"formatting:{kind}"
                else:
                    ref, kind = inv.invoice_id, "exact"
                refs.append(ref)
                kinds.append(kind)
            body |= {"payer_name": f"CUSTOMER {invs[0].customer_id}",
                     "text": f"PAYMENT INV {' / '.join(refs)} THANK YOU"}
            if len(invs) == 1 and self.discount_open(invs[0]) and rng.random() < p.discount:
                inv = invs[0]
                truth = [TruthLine(invoice_id=inv.invoice_id, amount=inv.amount - inv.discount,
                                   discount=inv.discount, noise=("text_only", kinds[0], "discount"))]
            else:
                truth = [TruthLine(invoice_id=i.invoice_id, amount=i.amount, noise=("text_only", k))
                         for i, k in zip(invs, kinds, strict=True)]
            cash = sum((t.amount for t in truth), _ZERO)
        elif (r := r - p.text_only) < p.amount_only:
            [inv] = self.pick(1)
            body["customer_id"] = inv.customer_id
            if self.discount_open(inv) and rng.random() < p.discount:
                t = TruthLine(invoice_id=inv.invoice_id, amount=inv.amount - inv.discount,
                              discount=inv.discount, noise=("amount_only", "discount"))
            else:
                t = TruthLine(invoice_id=inv.invoice_id, amount=inv.amount, noise=("amount_only", "full"))
            cash = t.amount
            if self.equally_open(inv, cash):
                t = TruthLine(invoice_id=t.invoice_id, amount=cash, outcome="person",
                              noise=(*t.noise, "ambiguous"))
            truth = [t]
        elif (r := r - p.amount_only) < p.combined:
            invs = self.pick(rng.randint(2, p.max_combined))
            body["customer_id"] = invs[0].customer_id
            with_amounts = rng.random() >= p.combined_without_amounts
            shape = "combined" if with_amounts else "combined_without_amounts"
            cash = _ZERO
            for inv in invs:
                line, style = self.reference(inv, ("exact", "formatting", "typo", "po"))
                if with_amounts:
                    t, paid, kind = self.amount(inv, False, line, body["adjustments"])
                    line["amount"] = str(paid)
                else:
                    paid, kind = inv.amount, "full"
                    t = TruthLine(invoice_id=inv.invoice_id, amount=paid)
                body["references"].append(line)
                truth.append(TruthLine(invoice_id=t.invoice_id, amount=t.amount, discount=t.discount,
                                       dispute=t.dispute, noise=(shape, style, kind)))
                cash += paid
        else:
            [inv] = self.pick(1)
            body["customer_id"] = inv.customer_id
            line, style = self.reference(inv, ("exact", "formatting", "typo", "po"))
            t, cash, kind = self.amount(inv, True, line, body["adjustments"])
            line["amount"] = str(cash)
            body["references"].append(line)
            on_account = cash - t.amount if kind == "overpayment" else _ZERO
            truth = [TruthLine(invoice_id=t.invoice_id, amount=t.amount, discount=t.discount,
                               dispute=t.dispute, noise=("single", style, kind))]
        body["amount"] = str(cash)
        self.settle(truth)
        return Remittance(body=body, truth=Truth(payment_id=payment_id, amount=cash,
                                                 customer_id=self.by_id[truth[0].invoice_id].customer_id,
                                                 lines=tuple(truth), on_account=on_account))

    def equally_open(self, inv: BookInvoice, cash: Decimal) -> bool:
        """Whether another open invoice of the payer is open for ``cash`` too (in full, or
        less the discount its terms still allow): then the amount alone cannot tell."""
        for k in self.of[inv.customer_id]:
            if k == inv.invoice_id or self.left[k] <= 0:
                continue
            other = self.by_id[k]
            left = self.left[k]
            untouched = left == other.amount
            if left == cash or (untouched and self.discount_open(other) and left - other.discount == cash):
                return True
        return False


def remittances(book: Sequence[BookInvoice], payments: int, today: date,
                profile: NoiseProfile = NoiseProfile(), seed: int = 1,
                id_prefix: str = "RMT") -> list[Remittance]:
    """``payments`` remittances against ``book`` (each invoice paid at most once), as of
    ``today`` (what the discount terms allow), with their truth."""
    w = _Writer(book, today, profile, seed)
    return [w.write(f"{id_prefix}-{n:07d}") for n in range(1, payments + 1)]


@dataclass(slots=True)
class NoiseCount:
    """How often each noise kind occurs in a set of remittances (per line)."""

    lines: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def share(self, kind: str) -> float:
        return self.kinds.get(kind, 0) / self.lines if self.lines else 0.0


def count_noise(rs: Iterable[Remittance]) -> NoiseCount:
    out = NoiseCount()
    for r in rs:
        for t in r.truth.lines:
            out.lines += 1
            for k in t.noise:
                for name in {k, k.partition(":")[0]}:
                    out.kinds[name] = out.kinds.get(name, 0) + 1
            if t.outcome == "person":
                out.kinds["person"] = out.kinds.get("person", 0) + 1
    return out


def without_invoice_reference(t: TruthLine) -> bool:
    """A line that names no invoice the engine could read: a purchase order, an amount only,
    or a payer no one can identify."""
    return bool({"po", "amount_only", "unidentified"} & set(t.noise))
