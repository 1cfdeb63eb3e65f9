"""Inbound purchase orders: 850 -> ``order`` (the engine's ``OrderIn``).

Invariants of a mapped order: at least one line, distinct line numbers, quantities > 0, and
CTT01 (when sent) equal to the number of lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from o2c.adapters.edi import ErrorCode, Segment, TransactionSet
from o2c.adapters.edi.maps.order_common import (
    BUYER_ITEM,
    OrderHeader,
    check_ctt,
    line_number,
    line_product,
    line_uom,
)
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import (
    Findings,
    Party,
    date_of,
    el,
    number,
    required,
    terms_text,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult
from o2c.adapters.edi.model import fast_builder
from o2c.adapters.limits import too_many_lines

__all__ = ["map_850"]

# An ordinary PO1, its elements joined by _SEP (see _po1_fast): PO101 a line number 1-999999
# and PO102 a whole quantity of at most 15 digits, without leading zeros; PO103 two letters
# or digits; PO104 empty or a price without sign or leading zero, with at most 11 digits before
# the point and 4 after (15 in all, as the checked path allows);
# PO105 anything; then complete pairs, each a two-character upper-case qualifier and an id
# of 1-48 characters with no blank at either end (what the checked path keeps unstripped),
# or an empty pair.  The quantifiers are possessive (``++``, ``{m,n}+``): what follows each of
# them is a character it cannot consume, so giving characters back could not produce another
# match, and the engine need not remember how.  An id's last character is checked by looking
# back once the id is read, rather than by backtracking to it.
_SEP = "\x1f"
_HEAD = (  # PO101 to PO105
    r"[1-9][0-9]{0,5}+\x1f[1-9][0-9]{0,14}+\x1f[A-Za-z0-9][A-Za-z0-9]\x1f"
    r"(?:(?:[1-9][0-9]{0,10}+|0)(?:\.[0-9]{1,4}+)?+)?+\x1f[^\x1f]*+"
)
_ID = r"[^\x1f\s][^\x1f]{0,47}+(?<!\s)"
_ORDINARY = re.compile(rf"{_HEAD}(?:\x1f(?:[A-Z0-9][A-Z0-9]\x1f{_ID}|\x1f))++")
_ordinary = _ORDINARY.fullmatch
_QUALIFIER = re.compile("[A-Z0-9][A-Z0-9]")
# Every PO1 of a set, of any layouts (see _lines_fast): the lines joined by _REC, each ordinary.
# Inside a line nothing may match _REC (a blank too, so an id cannot begin or end with it).
_REC = "\x1e"
_all_ordinary = re.compile(
    "(?:{line}\x1e)*+{line}".format(line=_ORDINARY.pattern.replace(r"[^\x1f]", r"[^\x1f\x1e]"))
).fullmatch
_qualifiers = itemgetter(slice(5, None, 2))  # PO106, PO108...
_first = itemgetter(0)
_COUNTING = [str(n) for n in range(1, 1001)]  # PO101s of an order numbered 1, 2, 3...
_quantity = itemgetter(1)
_mapped = fast_builder(Mapped)
_elements = attrgetter("elements")
# (product element index, buyer item element indexes) of a line, per tuple of its qualifiers.
_Plan = tuple[int, tuple[int, ...]]


def map_850(ts: TransactionSet, partner: TradingPartner, *, version: str = "",
            max_lines: int | None = None) -> MapResult:
    """850 purchase order -> ``order`` (validates against ``OrderIn``).

    BEG03 PO number and BEG05 date are mandatory; CUR02 (else the partner's currency); DTM 002
    requested delivery date; N1 ST -> ship-to through ``ship_to_map``; customer from N1 BY/BT
    through ``customer_map``, else the partner's; ITD -> terms text; PO1 quantity (PO102),
    unit (PO103 through ``uom_map``), price (PO104), product id by ``product_qualifiers``;
    PID05 descriptions and line-level segments go to ``extras``.  ``version`` is accepted for a
    uniform signature; dates are read in both 6- and 8-digit forms whatever it says.
    A set of more than ``max_lines`` PO1s is refused (AK304 4) before its lines are read.
    """
    f = Findings(ts)
    head = OrderHeader()
    party: Party | None = None
    # One pass sorts the segments: header facts before the first PO1 (see order_common), then
    # the PO1s, the first PID of each PO1 loop and the last CTT.  The lines are read afterwards.
    beg = ctt = None
    po1s: list[Segment] = []
    texts: list[str] = []  # PID05 of the first PID of a PO1 loop, stripped ("" when absent)
    owners: list[int] = []  # the index in po1s of each of those PIDs' PO1
    last = -1  # index of the open PO1 loop's PO1
    described = True  # the open PO1 loop has its PID already
    for seg in ts.segments:
        sid = seg.id
        if sid == "PO1":
            po1s.append(seg)
            last += 1
            described = False
        elif last < 0:
            if sid == "BEG":
                beg = beg or seg
            else:
                party = head.take(f, seg, party)
        elif sid == "PID":
            if not described:
                described = True
                e = seg.elements
                texts.append(e[4].strip() if len(e) > 4 else "")
                owners.append(last)
        elif sid == "CTT":
            ctt = seg
    if max_lines is not None and (too_many := too_many_lines(len(po1s), max_lines)):
        # Reported at the first PO1 over the limit; its lines are never read.
        f.add(po1s[max_lines], ErrorCode.LOOP_OVER_MAXIMUM, "850.PO1",
              f"The purchase order has {too_many}.", expected=f"at most {max_lines:,} PO1 lines")
        return MapResult(errors=tuple(f.errors))
    lines, hash_total, numbers = _read_lines(f, po1s, partner)
    sequence = len(po1s)
    rule = "850"
    po = order_date = None
    if beg is None:
        f.missing_segment("BEG", "850.BEG", "The purchase order has no BEG segment.")
    else:
        po = required(f, beg, 3, "324", "850.BEG03", "purchase order number")
        order_date = date_of(f, beg, 5, "850.BEG05", "purchase order date", required=True)
    if not sequence:
        f.missing_segment("PO1", "850.PO1", "The purchase order has no PO1 line.", at=ctt or ts.trailer)
    check_ctt(f, ctt, sequence, hash_total, rule)
    currency = head.currency(f, partner, "850.CUR02")
    customer = head.customer(f, partner, "850.N1")
    requested = (
        date_of(f, head.dates["002"], 2, "850.DTM02", "requested delivery date")
        if "002" in head.dates
        else None
    )
    if f.failed:
        return MapResult(errors=tuple(f.errors))
    # Mapped whole: every PO1 is a line (a refused one is an error), their numbers distinct.
    ship_to = head.parties.get("ST")
    payload = {
        "legal_entity_id": partner.legal_entity_id,
        "customer_id": customer,
        "ship_to_id": partner.ship_to_for(ship_to["id"]) if ship_to else "",
        "po_number": po,
        "channel": "edi",
        "currency": currency,
        "order_date": order_date.isoformat() if order_date else None,
        "requested_date": requested.isoformat() if requested else None,
        "payment_terms": terms_text(head.itd) if head.itd is not None else None,
        "lines": lines,
    }
    extras = head.extras()
    if beg is not None:
        extras.update(purpose=el(beg, 1), po_type=el(beg, 2))
    if texts:  # by line number
        if numbers is None:
            numbers = [str(line["line_no"]) for line in lines]
        # owners rise strictly (one PID per PO1 loop): ending at len - 1, they are 0, 1, 2...
        keys = numbers if owners[-1] == len(owners) - 1 else map(numbers.__getitem__, owners)
        extras["line_descriptions"] = dict(zip(keys, texts, strict=False))  # keys may be longer
    return MapResult.of([_mapped(kind="order", payload=payload, extras=extras)], f.errors)


def _read_lines(
    f: Findings, po1s: list[Segment], partner: TradingPartner
) -> tuple[list[dict[str, Any]], Decimal | None, list[str] | None]:
    """The order lines of ``po1s``, the sum of their quantities (None when one is unreadable)
    and, when :func:`_lines_fast` read them, their line numbers as sent (``str(line_no)``).

    All at once through :func:`_lines_fast` when that can, else line by line: :func:`_po1_fast`,
    and :func:`_po1` (which records what is wrong) when that declines.
    """
    rank = {q: i for i, q in enumerate(partner.product_qualifiers)}
    uoms = dict(partner.uom_map)  # a read-only view's get() costs a method lookup per call
    if po1s:
        fast = _lines_fast(list(map(_elements, po1s)), rank, uoms)
        if fast is not None:
            return fast
    lines: list[dict[str, Any]] = []
    seen: set[int] = set()
    hash_total: Decimal | None = Decimal(0)
    whole = 0  # the fast path's quantities, summed as ints (cheaper), added to hash_total last
    plans: dict[tuple[str, ...], _Plan | None] = {}
    for sequence, seg in enumerate(po1s, 1):
        line = _po1_fast(seg.elements, seen, rank, uoms, plans)
        if line is not None:
            lines.append(line)
            whole += int(line["quantity"])
            continue
        line, qty = _po1(f, seg, sequence, seen, partner)
        if line is not None:
            lines.append(line)
        hash_total = hash_total + qty if qty is not None and hash_total is not None else None
    return lines, (hash_total + whole if hash_total is not None else None), None


def _plan(qualifiers: tuple[str, ...], rank: Mapping[str, int]) -> _Plan | None:
    """Where the product id and the buyer's item numbers of an ordinary PO1 are.

    ``qualifiers`` are PO106, PO108...; the indexes are into the PO1's elements (0-based).
    The product is the pair whose qualifier ranks first among the partner's preferences (the
    first such pair on a tie); None when no qualifier is one the partner uses.
    """
    product = -1
    best = len(rank)
    buyers: list[int] = []
    for i, qualifier in enumerate(qualifiers):
        r = rank.get(qualifier)
        if r is not None and r < best:
            product, best = 6 + 2 * i, r
        if qualifier in BUYER_ITEM:
            buyers.append(6 + 2 * i)
    return None if product < 0 else (product, tuple(buyers))


def _lines_fast(
    elements: list[tuple[str, ...]], rank: Mapping[str, int], uoms: Mapping[str, str]
) -> tuple[list[dict[str, Any]], Decimal, list[str]] | None:
    """Every line of a set at once, their quantities summed and their PO101s; None to read them
    one by one.

    Invariant (a property test holds it): the lines are those :func:`_po1` reads, finding
    nothing wrong - read with one regular expression match and a comprehension instead of two
    calls per line.  It declines (None) unless each PO1 is ordinary (see ``_ORDINARY``, and no
    element holds a separator the lines are joined with), the line numbers are distinct, and
    the partner uses one of each line's product ids and finds at most one buyer's item number.
    Lines alike - as many elements as the first, with its qualifiers - are matched by a pattern
    made for them (see :func:`_lines_pattern`), others by the general one.
    """
    first = elements[0]
    width = len(first)
    layout = first[5::2]
    match = _lines_pattern(layout) if width >= 7 and width & 1 else None
    # One text for all lines; with every line as wide as the first, the count proves that no
    # element holds _SEP, so the pattern's elements are the PO1s' and its lines are theirs.
    joined = _SEP.join(map(_SEP.join, elements))
    alike = (
        match is not None
        and len(set(map(len, elements))) == 1
        and joined.count(_SEP) == len(elements) * width - 1
        and match(joined) is not None
    )
    if not alike:  # lines told apart by _REC; the counts guard against separators in elements
        joined = _REC.join(map(_SEP.join, elements))
        if (
            _all_ordinary(joined) is None
            or joined.count(_SEP) != sum(map(len, elements)) - len(elements)
            or joined.count(_REC) != len(elements) - 1
        ):
            return None
    # Ordinary PO101s are digits without leading zeros: distinct texts are distinct numbers,
    # and each is str() of its number.  Most orders number their lines 1, 2, 3...
    numbers = list(map(_first, elements))
    count = len(numbers)
    if count <= len(_COUNTING) and numbers == _COUNTING[:count]:
        line_numbers: Iterable[int] = range(1, count + 1)
    elif len(set(numbers)) == count:
        line_numbers = map(int, numbers)
    else:
        return None
    plans: dict[tuple[str, ...], tuple[int, int]] = {}
    for qualifiers in (layout,) if alike else set(map(_qualifiers, elements)):
        plan = _plan(qualifiers, rank)
        if plan is None or len(plan[1]) > 1:
            return None
        product, buyers = plan
        plans[qualifiers] = (product, buyers[0] if buyers else 0)  # 0: no buyer's item number
    uom = uoms.get
    # (product index, buyer's item index) of each line
    where = repeat(plans[layout]) if len(plans) == 1 else map(plans.__getitem__, map(_qualifiers, elements))
    lines = [
        {
            "line_no": line_no,
            "product_id": e[p],
            "quantity": e[1],
            "uom": uom(e[2], e[2]),
            "unit_price": e[3] or None,
            "customer_item": e[b] if b and e[b] != e[p] else None,
        }
        for line_no, e, (p, b) in zip(line_numbers, elements, where, strict=False)  # where may repeat()
    ]
    return lines, Decimal(0) + sum(map(int, map(_quantity, elements))), numbers


_LINES_PATTERNS: dict[tuple[str, ...], Callable[[str], re.Match[str] | None] | None] = {}


def _lines_pattern(qualifiers: tuple[str, ...]) -> Callable[[str], re.Match[str] | None] | None:
    """``fullmatch`` of a pattern for ordinary PO1s with these qualifiers, all joined by _SEP.

    Each line is what ``_ORDINARY`` accepts, its qualifiers being exactly ``qualifiers`` (an
    empty one stands for an empty pair).  None when a qualifier is neither empty nor two
    upper-case letters or digits (``_ORDINARY`` accepts no such line).  Compiled once per
    layout; at most 256 layouts are kept, after which an unknown one gets None (the lines are
    then read one by one) rather than a compilation per set of a file that varies them.
    """
    try:
        return _LINES_PATTERNS[qualifiers]
    except KeyError:
        pass
    if len(_LINES_PATTERNS) >= 256:
        return None
    match = None
    if all(q == "" or _QUALIFIER.fullmatch(q) for q in qualifiers):
        line = _HEAD + "".join(rf"\x1f{q}\x1f{_ID}" if q else r"\x1f\x1f" for q in qualifiers)
        match = re.compile(f"(?:{line}\\x1f)*+{line}").fullmatch
    _LINES_PATTERNS[qualifiers] = match
    return match


def _po1_fast(
    el: tuple[str, ...],
    seen: set[int],
    rank: Mapping[str, int],
    uoms: Mapping[str, str],
    plans: dict[tuple[str, ...], _Plan | None] | None = None,
) -> dict[str, Any] | None:
    """The common PO1 read without error bookkeeping; None sends it through :func:`_po1`.

    Common means what ``_ORDINARY`` accepts.  Invariant (a property test holds it to
    :func:`_po1`): whenever this returns a line, ``_po1`` returns the same line and finds
    nothing wrong.  It exists because the map runs once per order line of every inbound order
    and the checked path costs about twice as much for lines that are almost always ordinary.
    ``plans`` caches :func:`_plan` per qualifier layout for the lines of one set.
    """
    n = len(el)
    if n < 7 or not n & 1:
        return None
    joined = _SEP.join(el)
    # The separator count guards against an element that itself holds the separator.
    if _ordinary(joined) is None or joined.count(_SEP) != n - 1:
        return None
    line_no = int(el[0])
    if line_no in seen:
        return None
    qualifiers = el[5::2]
    if plans is None:
        plan = _plan(qualifiers, rank)
    else:
        plan = plans.get(qualifiers, _NO_PLAN)
        if plan is _NO_PLAN:
            plan = plans[qualifiers] = _plan(qualifiers, rank)
    if plan is None:
        return None
    product_at, buyers = plan
    product = el[product_at]
    buyer = None
    for i in buyers:  # a loop, not next(genexpr): this runs for every order line
        if el[i] != product:
            buyer = el[i]
            break
    seen.add(line_no)
    uom = el[2]
    return {
        "line_no": line_no,
        "product_id": product,
        "quantity": el[1],
        "uom": uoms.get(uom, uom),
        "unit_price": el[3] or None,
        "customer_item": buyer,
    }


_NO_PLAN: Any = object()


def _po1(
    f: Findings, seg: Segment, sequence: int, seen: set[int], partner: TradingPartner
) -> tuple[dict[str, Any] | None, Decimal | None]:
    # Read as sent, noted in the 997: the order is held (VAL-DUPLICATE-LINE) like one from any
    # other channel, so customer service can have the buyer restate it.
    line_no = line_number(f, seg, sequence, seen, "850.PO101", twice="warning")
    qty = number(f, seg, 2, "330", "850.PO102", "quantity ordered", required=True, positive=True)
    uom = line_uom(f, seg, 3, partner, "850.PO103")
    price = number(f, seg, 4, "212", "850.PO104", "unit price", places=4)
    if price is not None and price < 0:
        f.bad_value(seg, 4, "212", "850.PO104", f"PO104 unit price {price} is negative.")
    product, buyer_item = line_product(f, seg, 6, partner, "850.PO107")
    if qty is None or uom is None or product is None:
        return None, qty
    line = {
        "line_no": line_no,
        "product_id": product,
        "quantity": str(qty),
        "uom": uom,
        "unit_price": str(price) if price is not None else None,
        "customer_item": buyer_item,
    }
    return line, qty
