"""The remittance simulator: deterministic, each noise kind at about its rate, a truth that adds
up, and the matching engine never wrong on what it applies by itself under that noise."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from o2c.domain.cash_matching import MatchSettings, OpenInvoice, Remitted, match_payment
from o2c.sim.remittances import (
    NoiseProfile,
    Remittance,
    count_noise,
    open_book,
    remittances,
    without_invoice_reference,
)

TODAY = date(2026, 3, 10)
BOOK = open_book(60, 4000, TODAY, seed=3)


def test_the_same_seed_gives_the_same_remittances_and_another_seed_others() -> None:
    a = remittances(BOOK, 300, TODAY, seed=7)
    assert a == remittances(BOOK, 300, TODAY, seed=7)
    assert [r.body for r in a] != [r.body for r in remittances(BOOK, 300, TODAY, seed=8)]


def test_what_the_truth_applies_keeps_on_account_and_leaves_to_a_person_is_the_payment() -> None:
    for r in remittances(BOOK, 1500, TODAY, seed=1):
        t = r.truth
        assert t.applied + t.on_account + t.person == t.amount == Decimal(r.body["amount"])
        assert all(line.amount > 0 and line.discount >= 0 and line.dispute >= 0 for line in t.lines)
        assert len({line.invoice_id for line in t.lines}) == len(t.lines)


def test_each_invoice_is_paid_by_one_payment_at_most() -> None:
    paid = [line.invoice_id for r in remittances(BOOK, 1500, TODAY, seed=1) for line in r.truth.lines]
    assert len(paid) == len(set(paid))


def test_each_noise_kind_appears_at_about_its_rate() -> None:
    p = NoiseProfile()
    rs = remittances(BOOK, 2500, TODAY, p, seed=2)
    shapes: dict[str, int] = defaultdict(int)
    for r in rs:
        shapes[r.truth.lines[0].noise[0]] += 1
    n = len(rs)
    for shape, rate in (("unidentified", p.unidentified), ("text_only", p.text_only),
                        ("amount_only", p.amount_only),
                        ("combined", p.combined * (1 - p.combined_without_amounts)),
                        ("combined_without_amounts", p.combined * p.combined_without_amounts)):
        assert shapes[shape] / n == pytest.approx(rate, abs=0.3 * rate + 0.005), shape
    # Reference styles of the structured lines, by their weights.
    structured = ("single", "combined", "combined_without_amounts")
    c = count_noise(r for r in rs if r.truth.lines[0].noise[0] in structured)
    total = p.exact + p.formatting + p.typo + p.po
    for style, weight in (("formatting", p.formatting), ("typo", p.typo), ("po", p.po)):
        assert c.share(style) == pytest.approx(weight / total, abs=0.3 * weight / total), style
    everything = count_noise(rs)
    for kind in ("short_pay", "short_pay_with_reason", "overpayment", "late_discount", "discount",
                 "discount_claimed", "ambiguous", "typo:swap", "typo:digit", "formatting:inv_prefix",
                 "formatting:no_padding", "formatting:lower", "formatting:spaces", "formatting:no_dash"):
        assert everything.kinds.get(kind, 0) > 0, kind


def test_the_default_profile_is_as_hard_as_the_target_says() -> None:
    rs = remittances(BOOK, 2500, TODAY, seed=4)
    lines = [line for r in rs for line in r.truth.lines]
    assert sum(map(without_invoice_reference, lines)) / len(lines) >= 0.15
    hard = [r for r in rs if len(r.truth.lines) > 1 or any(line.dispute for line in r.truth.lines)]
    assert len(hard) / len(rs) >= 0.05


def test_the_bodies_are_payment_messages() -> None:
    from o2c.adapters.canonical import PaymentIn

    for r in remittances(BOOK, 400, TODAY, seed=5):
        PaymentIn.model_validate(r.body).command()


def _match_all(rs: list[Remittance]) -> tuple[int, int, list[str]]:
    """Run the matching engine on each payment that names its account, on the account's open
    invoices as the payments so far left them; (lines applied, lines of those payments, mistakes)."""
    by_id = {i.invoice_id: i for i in BOOK}
    left = {i.invoice_id: i.amount for i in BOOK}
    of: dict[str, list[str]] = defaultdict(list)
    for i in BOOK:
        of[i.customer_id].append(i.invoice_id)
    applied = lines = 0
    wrong: list[str] = []
    for r in rs:
        b = r.body
        if not b["customer_id"]:
            continue  # the payer is identified by the payment handler, not by matching
        lines += len(r.truth.lines)
        book = [OpenInvoice(invoice_id=k, open_amount=left[k], due_date=by_id[k].due_date,
                            discount=by_id[k].discount, discount_date=by_id[k].discount_date,
                            po_number=by_id[k].po_number) for k in of[b["customer_id"]] if left[k] > 0]
        remitted = [Remitted(invoice_id=x.get("invoice_id", ""), reference=x.get("reference", ""),
                             qualifier=x.get("qualifier", ""),
                             amount=Decimal(x["amount"]) if "amount" in x else None,
                             discount=Decimal(x.get("discount", "0"))) for x in b["references"]]
        result = match_payment(Decimal(b["amount"]), remitted, book, TODAY, MatchSettings())
        got: dict[str, tuple[Decimal, Decimal]] = {}
        for a in result.allocations:
            amount, discount = got.get(a.invoice_id, (Decimal(0), Decimal(0)))
            got[a.invoice_id] = (amount + a.amount, discount + a.discount)
            left[a.invoice_id] -= a.amount + a.discount
        truth = {t.invoice_id: (t.amount, t.discount) for t in r.truth.lines if t.outcome == "apply"}
        for k, placed in got.items():
            applied += 1
            if truth.get(k) != placed:
                wrong.append(f"{b} -> {k} {placed}, truth {r.truth}")
    return applied, lines, wrong


def test_the_matching_engine_is_never_wrong_on_what_it_applies_under_noise() -> None:
    applied, lines, wrong = _match_all(remittances(BOOK, 600, TODAY, seed=11))
    assert wrong == []
    assert applied / lines > 0.95  # and it does apply most of it by itself
