"""The cash matching rules, one by one, their ambiguous cases, and what holds for any payment."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.cash_matching import (
    MatchRule,
    MatchSettings,
    OpenInvoice,
    Remitted,
    distance,
    match_named_first,
    match_payment,
    normalise,
)

D = Decimal
TODAY = date(2026, 3, 10)


def inv(n: int, amount: str, *, po: str = "", discount: str = "0", discount_date: date | None = None,
        due: int = 0) -> OpenInvoice:
    return OpenInvoice(invoice_id=f"US01-{n:07d}", open_amount=D(amount),
                       due_date=TODAY + timedelta(days=due), discount=D(discount),
                       discount_date=discount_date, po_number=po)


BOOK = [inv(101, "100.00", po="PO-9001"), inv(102, "250.00", po="PO-9002", due=1),
        inv(103, "75.50", po="PO-9003", due=2)]


def placed(r) -> list[tuple[str, Decimal, Decimal, str]]:  # type: ignore[no-untyped-def]
    return [(a.invoice_id, a.amount, a.discount, a.rule.value) for a in r.allocations]


def test_normalise_sets_case_separators_and_leading_zeros_aside() -> None:
    assert normalise("us01-0000101") == normalise("US01 101") == normalise("US01/00101") == "US1101"
    assert normalise("INV 00120") != normalise("INV 1200")


def test_distance_counts_swaps_as_one_edit_and_stops_past_the_limit() -> None:
    assert distance("US1101", "US1011", 1) == 1
    assert distance("US1101", "US1102", 1) == 1
    assert distance("US1101", "US2202", 1) == 2  # > limit: reported as limit + 1
    assert distance("ABC", "ABC", 0) == 0


def test_exact_reference() -> None:
    r = match_payment(D("100.00"), [Remitted(invoice_id="US01-0000101", amount=D("100.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000101", D("100.00"), D(0), "exact_reference")]
    assert r.allocations[0].confidence == D("1.00")
    assert (r.unplaced, r.on_account, r.short_pays) == (0, 0, [])


def test_reference_with_formatting_noise() -> None:
    r = match_payment(D("250.00"), [Remitted(invoice_id="us01 102", amount=D("250.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000102", D("250.00"), D(0), "reference_noise")]


def test_reference_with_only_the_number() -> None:
    r = match_payment(D("75.50"), [Remitted(invoice_id="103", amount=D("75.50"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000103", D("75.50"), D(0), "reference_noise")]


def test_reference_with_a_typo_is_believed_when_the_amount_agrees() -> None:
    r = match_payment(D("250.00"), [Remitted(invoice_id="US01-0000120", amount=D("250.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000102", D("250.00"), D(0), "reference_noise")]


def test_reference_with_a_typo_and_another_amount_goes_to_a_person() -> None:
    r = match_payment(D("90.00"), [Remitted(invoice_id="US01-0000120", amount=D("90.00"))], BOOK, TODAY)
    assert r.allocations == [] and r.unplaced == D("90.00")
    assert "US01-0000102" in r.candidates


def test_a_typo_two_invoices_are_near_is_ambiguous() -> None:
    book = [inv(111, "50.00"), inv(113, "50.00")]
    r = match_payment(D("50.00"), [Remitted(invoice_id="US01-0000112", amount=D("50.00"))], book, TODAY)
    assert r.allocations == [] and r.unplaced == D("50.00")
    assert sorted(r.candidates) == ["US01-0000111", "US01-0000113"]


def test_purchase_order_number() -> None:
    line = Remitted(reference="po 9003", qualifier="PO", amount=D("75.50"))
    r = match_payment(D("75.50"), [line], BOOK, TODAY)
    assert placed(r) == [("US01-0000103", D("75.50"), D(0), "po_number")]


def test_a_purchase_order_on_several_invoices_is_paid_when_the_line_pays_them_all() -> None:
    book = [inv(1, "10.00", po="PO-7"), inv(2, "15.00", po="PO-7"), inv(3, "99.00", po="PO-8")]
    r = match_payment(D("25.00"), [Remitted(reference="PO-7", qualifier="PO", amount=D("25.00"))], book,
                      TODAY)
    assert {a.invoice_id for a in r.allocations} == {"US01-0000001", "US01-0000002"}
    r = match_payment(D("12.00"), [Remitted(reference="PO-7", qualifier="PO", amount=D("12.00"))], book,
                      TODAY)
    assert r.allocations == [] and r.unplaced == D("12.00")


def test_unique_amount_among_open_invoices() -> None:
    r = match_payment(D("250.00"), [], BOOK, TODAY)
    assert placed(r) == [("US01-0000102", D("250.00"), D(0), "unique_amount")]


def test_an_amount_two_invoices_are_open_for_is_ambiguous() -> None:
    book = [inv(1, "40.00"), inv(2, "40.00"), inv(3, "7.00")]
    r = match_payment(D("40.00"), [], book, TODAY)
    assert r.allocations == [] and r.unplaced == D("40.00")
    assert sorted(r.candidates) == ["US01-0000001", "US01-0000002"]


def test_combination_of_open_invoices() -> None:
    r = match_payment(D("175.50"), [], BOOK, TODAY)
    assert sorted(placed(r)) == [("US01-0000101", D("100.00"), D(0), "combination"),
                                 ("US01-0000103", D("75.50"), D(0), "combination")]


def test_two_combinations_are_ambiguous() -> None:
    book = [inv(1, "10.00"), inv(2, "20.00"), inv(3, "30.00"), inv(4, "40.00")]
    r = match_payment(D("50.00"), [], book, TODAY)  # 10 + 40 and 20 + 30
    assert r.allocations == [] and r.unplaced == D("50.00")
    assert set(r.candidates) == {"US01-0000001", "US01-0000002", "US01-0000003", "US01-0000004"}


def test_a_search_cut_short_goes_to_a_person() -> None:
    book = [inv(i, f"{i}.00") for i in range(1, 25)]
    r = match_payment(D("71.00"), [], book, TODAY, MatchSettings(combination_budget=5))
    assert r.allocations == [] and "cut short" in r.problems[-1]


def test_discount_taken_within_terms_by_reference_without_saying_so() -> None:
    book = [inv(5, "200.00", discount="4.00", discount_date=TODAY)]
    r = match_payment(D("196.00"), [Remitted(invoice_id="US01-0000005", amount=D("196.00"))], book, TODAY)
    assert placed(r) == [("US01-0000005", D("196.00"), D("4.00"), "exact_reference")]
    assert r.short_pays == []


def test_discount_by_amount_alone() -> None:
    book = [inv(5, "200.00", discount="4.00", discount_date=TODAY), inv(6, "150.00")]
    r = match_payment(D("196.00"), [], book, TODAY)
    assert placed(r) == [("US01-0000005", D("196.00"), D("4.00"), "unique_amount")]


def test_a_discount_after_its_date_is_a_short_pay() -> None:
    book = [inv(5, "200.00", discount="4.00", discount_date=TODAY - timedelta(days=1))]
    line = Remitted(invoice_id="US01-0000005", amount=D("196.00"), discount=D("4.00"))
    r = match_payment(D("196.00"), [line], book, TODAY)
    assert placed(r) == [("US01-0000005", D("196.00"), D(0), "exact_reference")]
    [short] = r.short_pays
    assert (short.amount, short.discount_refused) == (D("4.00"), True)


def test_short_pay_is_applied_and_named() -> None:
    r = match_payment(D("90.00"), [Remitted(invoice_id="US01-0000101", amount=D("90.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000101", D("90.00"), D(0), "exact_reference")]
    assert [(s.invoice_id, s.amount) for s in r.short_pays] == [("US01-0000101", D("10.00"))]


def test_overpayment_is_credit_on_account() -> None:
    r = match_payment(D("120.00"), [Remitted(invoice_id="US01-0000101", amount=D("120.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000101", D("100.00"), D(0), "exact_reference")]
    assert (r.on_account, r.unplaced) == (D("20.00"), 0)


def test_nothing_matches_leaves_the_cash_for_a_person() -> None:
    r = match_payment(D("33.33"), [Remitted(invoice_id="XYZ", amount=D("33.33"))], BOOK, TODAY)
    assert r.allocations == [] and r.unplaced == D("33.33") and r.on_account == 0
    assert any("XYZ" in p for p in r.problems)


def test_references_without_amounts_are_paid_in_full_in_order() -> None:
    lines = [Remitted(invoice_id="US01-0000101"), Remitted(invoice_id="US01-0000103")]
    r = match_payment(D("175.50"), lines, BOOK, TODAY)
    assert placed(r) == [("US01-0000101", D("100.00"), D(0), "exact_reference"),
                         ("US01-0000103", D("75.50"), D(0), "exact_reference")]


# ------------------------------------------------------------------ properties

amounts = st.integers(min_value=1, max_value=50_000).map(lambda c: D(c) / 100)


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(min_value=0, max_value=8))
    book = [inv(i + 1, str(draw(amounts)), po=f"PO-{draw(st.integers(1, 4))}",
                discount=draw(st.sampled_from(["0", "1.00"])), discount_date=TODAY) for i in range(n)]
    book = [b for b in book if b.open_amount > b.discount]
    refs = st.one_of(st.sampled_from([b.invoice_id for b in book] or ["NONE"]),
                     st.text("US0123-", max_size=12))
    lines = draw(st.lists(st.builds(
        Remitted, invoice_id=refs, amount=st.one_of(st.none(), amounts),
        discount=st.sampled_from([D(0), D("1.00")])), max_size=4))
    return draw(amounts), lines, book


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_cent_is_placed_once_and_no_invoice_is_over_applied(case) -> None:  # type: ignore[no-untyped-def]
    amount, lines, book = case
    r = match_payment(amount, lines, book, TODAY)
    assert r.applied + r.on_account + r.unplaced == amount
    assert r.on_account == 0 or r.unplaced == 0
    by_id = {b.invoice_id: b for b in book}
    taken: dict[str, Decimal] = {}
    for a in r.allocations:
        assert a.amount >= 0 and a.discount >= 0 and a.amount + a.discount > 0
        assert a.discount <= by_id[a.invoice_id].discount
        taken[a.invoice_id] = taken.get(a.invoice_id, D(0)) + a.amount + a.discount
        assert a.rule is not MatchRule.MANUAL and a.confidence > 0
    for k, v in taken.items():
        assert v <= by_id[k].open_amount, k
    for s in r.short_pays:
        assert s.amount == by_id[s.invoice_id].open_amount - taken[s.invoice_id]


@settings(max_examples=200, deadline=None)
@given(st.lists(amounts, min_size=2, max_size=8), st.data())
def test_an_amount_is_never_placed_when_two_answers_fit(values, data) -> None:  # type: ignore[no-untyped-def]
    book = [inv(i + 1, str(v)) for i, v in enumerate(values)]
    twin = data.draw(st.sampled_from(values))
    book.append(inv(99, str(twin)))  # two invoices open for the same amount
    r = match_payment(twin, [], book, TODAY)
    assert r.allocations == [] and r.unplaced == twin


def test_a_purchase_order_given_without_its_qualifier_still_finds_its_invoice() -> None:
    book = [inv(101, "100.00", po="4500000123"), inv(102, "100.00", po="4500000124")]
    for line in (Remitted(invoice_id="4500000123", amount=D("100.00")), Remitted(reference="4500000123")):
        r = match_payment(D("100.00"), [line], book, TODAY)
        assert placed(r) == [("US01-0000101", D("100.00"), D(0), "po_number")], r.problems


def test_a_word_before_the_invoice_number_is_set_aside() -> None:
    r = match_payment(D("90.00"), [Remitted(invoice_id="INV US01-0000101", amount=D("90.00"))], BOOK, TODAY)
    assert placed(r) == [("US01-0000101", D("90.00"), D(0), "reference_noise")]
    assert [s.invoice_id for s in r.short_pays] == ["US01-0000101"]


def test_purchase_orders_are_looked_up_only_when_a_reference_needs_them() -> None:
    asked: list[str] = []

    def po(invoice_id: str) -> str:
        asked.append(invoice_id)
        return {"US01-0000103": "PO-77"}.get(invoice_id, "")

    book = [inv(101, "100.00"), inv(103, "75.50")]
    match_payment(D("100.00"), [Remitted(invoice_id="US01-0000101", amount=D("100.00"))], book, TODAY,
                  po_lookup=po)
    assert asked == []
    line = Remitted(reference="PO-77", qualifier="PO", amount=D("75.50"))
    r = match_payment(D("75.50"), [line], book, TODAY, po_lookup=po)
    assert placed(r) == [("US01-0000103", D("75.50"), D(0), "po_number")] and sorted(asked) == [
        "US01-0000101", "US01-0000103"]


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_matching_on_the_named_invoices_first_gives_what_the_whole_book_gives(case, data) -> None:  # type: ignore[no-untyped-def]
    amount, lines, book = case
    if book and data.draw(st.booleans()):  # lines that each name an open invoice exactly
        lines = data.draw(st.lists(st.builds(
            Remitted, invoice_id=st.sampled_from([b.invoice_id for b in book]),
            amount=st.one_of(st.none(), amounts), discount=st.sampled_from([D(0), D("1.00")])),
            min_size=1, max_size=4))
    by_id = {b.invoice_id: b for b in book}
    asked: list[str] = []

    def everything():  # type: ignore[no-untyped-def]
        asked.append("book")
        return book

    fast = match_named_first(amount, lines, by_id.get, everything, TODAY)
    assert fast == match_payment(amount, lines, book, TODAY)
    if lines and all(ln.invoice_id in by_id for ln in lines) and amount <= sum(
            (ln.amount for ln in lines if ln.amount is not None), D(0)) and all(
            ln.amount is not None for ln in lines) and fast.unplaced == 0 and fast.on_account == 0:
        assert asked == []  # the whole book was not read


def test_a_payment_naming_its_invoices_exactly_is_matched_without_reading_the_book() -> None:
    def everything():  # type: ignore[no-untyped-def]
        raise AssertionError("the whole book was read")

    r = match_named_first(D("350.00"), [Remitted(invoice_id="US01-0000101", amount=D("100.00")),
                                        Remitted(invoice_id="US01-0000102", amount=D("250.00"))],
                          {b.invoice_id: b for b in BOOK}.get, everything, TODAY)
    assert placed(r) == [("US01-0000101", D("100.00"), D("0"), "exact_reference"),
                         ("US01-0000102", D("250.00"), D("0"), "exact_reference")]


@settings(max_examples=500, deadline=None)
@given(st.text("AB01-", max_size=7), st.text("AB01-", max_size=7))
def test_one_edit_away_is_what_the_full_distance_says(a: str, b: str) -> None:
    assert distance(a, b, 1) == min(distance(a, b, 2), 2)
