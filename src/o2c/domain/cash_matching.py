"""Cash matching: which open invoices a payment pays, by which rule, how sure.

Pure: given what the payer remitted and the payer's open invoices, :func:`match_payment`
returns the allocations it is sure of, each with the rule that found it and a confidence,
and leaves the rest explained: a short pay (to become a deduction dispute), an overpayment
(credit on account), or cash a person must place, with the candidates that made it ambiguous.
It never guesses: two equally good answers are no answer.

The rules, tried in this order for each remittance line:

1. ``exact_reference``: the invoice number as written is an open invoice of the payer;
2. ``reference_noise``: it is, once case, spaces, punctuation and leading zeros are set aside,
   or within ``max_typo_distance`` edits (a Damerau-Levenshtein distance: a wrong, missing,
   extra or swapped character) of exactly one open invoice;
3. ``po_number``: the line's reference is the purchase order of exactly one open invoice (or of
   several whose open amounts the line pays exactly).

Then the cash no line placed is matched by amount among the payer's open invoices that no line
named:

4. ``unique_amount``: exactly one open invoice is open for that amount (or for that amount
   plus the discount its terms still allow);
5. ``combination``: exactly one set of at most ``max_combination`` open invoices adds up to it
   (each in full, or each less its discount), found by a bounded search;

A line paying less than its invoice's open amount less any discount its terms allow is a
``short_pay`` (the difference goes to a deduction dispute); a discount is accepted only on or
before the invoice's discount date (``discount_within_terms``) and never above the terms'.
What is left once every named invoice is paid in full is an overpayment (``on_account``);
what is left when nothing could be placed waits for a person (``unplaced``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

_ZERO = Decimal(0)


class MatchRule(StrEnum):
    EXACT_REFERENCE = "exact_reference"
    REFERENCE_NOISE = "reference_noise"
    PO_NUMBER = "po_number"
    UNIQUE_AMOUNT = "unique_amount"
    COMBINATION = "combination"
    #: a person placed it (cash application by hand)
    MANUAL = "manual"


#: how sure each rule is when it finds exactly one answer
CONFIDENCE: dict[MatchRule, Decimal] = {
    MatchRule.EXACT_REFERENCE: Decimal("1.00"),
    MatchRule.REFERENCE_NOISE: Decimal("0.97"),
    MatchRule.PO_NUMBER: Decimal("0.95"),
    MatchRule.UNIQUE_AMOUNT: Decimal("0.92"),
    MatchRule.COMBINATION: Decimal("0.90"),
    MatchRule.MANUAL: Decimal("1.00"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenInvoice:
    """An open invoice of the payer, as matching needs it."""

    invoice_id: str
    open_amount: Decimal
    due_date: date
    #: the discount its terms allow (taken in full or not at all), and until when
    discount: Decimal = _ZERO
    discount_date: date | None = None
    po_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Remitted:
    """One remittance line: an invoice number as written, or another reference
    (``qualifier`` PO: a purchase order), what it pays (None: not said) and the discount
    the payer says it took."""

    invoice_id: str = ""
    reference: str = ""
    qualifier: str = ""
    amount: Decimal | None = None
    discount: Decimal = _ZERO


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchSettings:
    """The policy's knobs (the ``cash`` section of a policy document)."""

    max_typo_distance: int = 1
    max_combination: int = 4
    #: open invoices the combination search looks at (the oldest due first)
    combination_candidates: int = 24
    #: combinations tried at most before the search gives the case to a person
    combination_budget: int = 20000
    #: days after the discount date a discount is still accepted
    discount_grace_days: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    invoice_id: str
    amount: Decimal
    discount: Decimal
    rule: MatchRule
    confidence: Decimal
    #: what matched: the reference as written, the amount, the combination
    evidence: str
    #: the remittance line it came from (index), None: from the unplaced cash
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortPay:
    invoice_id: str
    amount: Decimal
    #: the rule the payment reached the invoice by
    rule: MatchRule
    #: the payer took a discount the terms no longer allowed (a terms dispute)
    discount_refused: bool = False


@dataclass(slots=True, kw_only=True)
class MatchResult:
    allocations: list[Allocation] = field(default_factory=list)
    short_pays: list[ShortPay] = field(default_factory=list)
    #: overpaid: every invoice the payer named is paid, and this is left (credit on account)
    on_account: Decimal = _ZERO
    #: cash no rule could place with certainty: a person decides
    unplaced: Decimal = _ZERO
    #: why (each a sentence a person can act on), and the candidates that made a case ambiguous
    problems: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.allocations), _ZERO)


# The forms of an invoice number are asked for again with every payment of its payer: they are
# pure functions of a string, kept for the most recent numbers.
_FORMS_KEPT = 1 << 16
_TOKENS = re.compile(r"[0-9A-Z]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=_FORMS_KEPT)
def normalise(reference: str) -> str:
    """A reference with case, spaces and punctuation set aside, and each number in it without
    its leading zeros: ``inv-us 0001234``, ``INV US 1234`` and ``INVUS1234`` read the same."""
    return "".join(_LEADING_ZEROS.sub("", t) for t in _TOKENS.findall(reference.upper()))


@lru_cache(maxsize=_FORMS_KEPT)
def compact(reference: str) -> str:
    """A reference with case, spaces and punctuation set aside, zeros kept: ``US01-0001234``
    written ``us010001234``."""
    return _NOT_ALNUM.sub("", reference.upper())


@lru_cache(maxsize=_FORMS_KEPT)
def _number(reference: str) -> str:
    """The reference's last number without leading zeros (``US01-0001234`` -> ``1234``)."""
    runs = _DIGITS.findall(reference)
    return runs[-1].lstrip("0") if runs else ""


def _one_edit(a: str, b: str) -> int:
    """:func:`distance` with a limit of 1, without the table: 0, 1, or 2 for "more than one"."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return 1
        if len(diff) == 2:
            i, j = diff
            if j == i + 1 and a[i] == b[j] and a[j] == b[i]:
                return 1  # two neighbours swapped
        return 2
    if abs(la - lb) != 1:
        return 2
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    return 1 if a[i:] == b[i + 1:] else 2  # one character more in ``b``


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) of ``a`` and ``b``, or
    ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if limit == 1:
        return _one_edit(a, b)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


class _Book:
    """The payer's open invoices, indexed for the reference rules, and what is still open
    on each as allocations are made."""

    def __init__(self, invoices: Iterable[OpenInvoice], settings: MatchSettings, today: date,
                 po_lookup: Callable[[str], str] | None = None) -> None:
        self.by_id = {i.invoice_id: i for i in invoices}
        self.left = {k: i.open_amount for k, i in self.by_id.items()}
        self.settings = settings
        self.today = today
        #: invoices a line paid (the last of its invoices): each still open after all is a short pay
        self.reached: dict[str, tuple[MatchRule, bool]] = {}
        self._norm: dict[str, list[str]] | None = None
        self._digits: dict[str, list[str]] | None = None
        self._by_len: dict[int, list[str]] = {}
        self._po_lookup = po_lookup
        self._pos: dict[str, list[str]] | None = None

    def discount_allowed(self, inv: OpenInvoice) -> Decimal:
        """The discount the terms still allow on ``inv`` today (0 after its date), if it is
        still open in full."""
        if inv.discount <= 0 or inv.discount_date is None:
            return _ZERO
        if (self.today - inv.discount_date).days > self.settings.discount_grace_days:
            return _ZERO
        return inv.discount if self.left[inv.invoice_id] == inv.open_amount else _ZERO

    def _index(self) -> dict[str, list[str]]:
        if self._norm is None:
            self._norm, self._digits, self._by_len = {}, {}, {}
            for k in self.by_id:
                for key in {normalise(k), compact(k)}:
                    self._norm.setdefault(key, []).append(k)
                self._digits.setdefault(_number(k), []).append(k)
            for key in self._norm:
                self._by_len.setdefault(len(key), []).append(key)
        return self._norm

    def by_reference(self, ref: str) -> tuple[list[str], MatchRule | None, bool]:
        """The open invoices ``ref`` names, by which rule (several: ambiguous), and whether
        only by allowing typos (then the amount must agree too). A word before the number
        (``INV``, ``Invoice no.``) is set aside."""
        if not ref:
            return [], None, False
        if ref in self.by_id:
            return [ref], MatchRule.EXACT_REFERENCE, False
        index = self._index()
        assert self._digits is not None
        forms = _forms(ref)
        found = sorted({k for f in forms for k in index.get(f, ())})
        number = ref.strip().lstrip("0")
        if not found and ref.strip().isdigit():
            found = self._digits.get(number, [])
        if found:
            return list(found), MatchRule.REFERENCE_NOISE, False
        limit = self.settings.max_typo_distance
        if limit <= 0 or len(normalise(ref)) < 4:
            return [], None, False
        near: set[str] = set()
        for f in forms:  # only keys of a length a typo can reach
            for n in range(len(f) - limit, len(f) + limit + 1):
                near.update(k for key in self._by_len.get(n, ()) if distance(f, key, limit) <= limit
                            for k in index[key])
        if not near and ref.strip().isdigit():
            near = {k for key, ks in self._digits.items()
                    if key and abs(len(key) - len(number)) <= limit and distance(number, key, limit) <= limit
                    for k in ks}
        if not near:
            return [], None, False
        return sorted(near), MatchRule.REFERENCE_NOISE, True

    def by_po(self, po: str) -> list[str]:
        """The open invoices of purchase order ``po`` (their orders' POs read once, when a
        reference first needs them)."""
        if not po:
            return []
        if self._pos is None:
            self._pos = {}
            for k, i in self.by_id.items():
                number = i.po_number or (self._po_lookup(k) if self._po_lookup else "")
                if number:
                    self._pos.setdefault(normalise(number), []).append(k)
        return sorted({k for f in _forms(po) for k in self._pos.get(f, ())})


def _forms(ref: str) -> set[str]:
    """The normal forms ``ref`` is looked up by: normalised and compact, each also without the
    words before its first token holding a digit (``INV US01-0000123`` -> ``US01-0000123``)."""
    forms = {normalise(ref), compact(ref)}
    tokens = re.findall(r"[0-9A-Za-z]+", ref)
    first = next((i for i, t in enumerate(tokens) if any(ch.isdigit() for ch in t)), 0)
    if first:
        rest = " ".join(tokens[first:])
        forms |= {normalise(rest), compact(rest)}
    return {f for f in forms if f}


def match_payment(amount: Decimal, lines: Sequence[Remitted], invoices: Iterable[OpenInvoice],
                  today: date, settings: MatchSettings = MatchSettings(),
                  po_lookup: Callable[[str], str] | None = None) -> MatchResult:
    """Place ``amount`` on the payer's open ``invoices`` as its remittance ``lines`` say
    (see the module's docstring for the rules and their order).

    Invariants: what is allocated, on account and unplaced adds up to ``amount``; no invoice
    receives more than it has open (discounts included); every allocation names its rule and
    confidence; a line or amount that two answers fit equally is never allocated.
    ``po_lookup`` gives an invoice's purchase order when ``po_number`` does not, and is asked
    only if a reference needs the purchase orders.
    """
    book = _Book(invoices, settings, today, po_lookup)
    result = MatchResult()
    if len(lines) == 1 and lines[0].amount is None:  # one reference, no amount: it is the whole payment
        lines = [Remitted(invoice_id=lines[0].invoice_id, reference=lines[0].reference,
                          qualifier=lines[0].qualifier, amount=amount, discount=lines[0].discount)]
    left = amount
    named: set[str] = set()
    spread: list[tuple[int, list[str], MatchRule, str]] = []  # lines that do not say what they pay
    for i, line in enumerate(lines):
        if left <= 0:
            break
        ids, rule, evidence = _resolve(book, line, result)
        if not ids or rule is None:
            continue
        named.update(ids)
        if line.amount is None:
            spread.append((i, ids, rule, evidence))
            continue
        left -= _pay_line(book, result, i, ids, rule, evidence, min(line.amount, left), line.discount)
    for i, ids, rule, evidence in spread:  # references without amounts: pay each in full, in order
        for k in ids:
            if left <= 0:
                break
            left -= _pay_line(book, result, i, [k], rule, evidence, left, None, short_ok=False)
    if left > 0:
        left = _by_amount(book, result, left, exclude=named)
    result.short_pays = [ShortPay(invoice_id=k, amount=book.left[k], rule=rule, discount_refused=refused)
                         for k, (rule, refused) in book.reached.items() if book.left[k] > 0]
    if left > 0:
        if named and all(book.left[k] == 0 for k in named) and not result.candidates:
            result.on_account = left
            result.problems.append(f"{left} more than the invoices it names ({', '.join(sorted(named))})")
        else:
            result.unplaced = left
    return result


def match_named_first(amount: Decimal, lines: Sequence[Remitted], named: Callable[[str], OpenInvoice | None],
                      everything: Callable[[], Iterable[OpenInvoice]], today: date,
                      settings: MatchSettings = MatchSettings(),
                      po_lookup: Callable[[str], str] | None = None) -> MatchResult:
    """:func:`match_payment`, reading the payer's whole book (``everything``) only when it must.

    When every line names an open invoice by its exact id (``named`` finds it) and those
    invoices take the whole amount, the result on them alone is the result on the whole book:
    an exact id is the first thing every line is resolved by, and no cash is left for the rules
    that read the other invoices (amounts, combinations). Otherwise the whole book is read.
    Most remittances name their invoices, and a payer's book can be long.
    """
    found: dict[str, OpenInvoice] = {}
    for ln in lines:
        k = ln.invoice_id
        if k not in found:
            inv = named(k) if k else None
            if inv is None or inv.open_amount <= 0:
                break
            found[k] = inv
    else:
        if found:
            result = match_payment(amount, lines, found.values(), today, settings, po_lookup)
            if result.unplaced == 0 and result.on_account == 0:
                return result
    return match_payment(amount, lines, everything(), today, settings, po_lookup)


def _resolve(book: _Book, line: Remitted, result: MatchResult) -> tuple[list[str], MatchRule | None, str]:
    """The open invoices a line names, by the first rule that finds them. A reference a typo
    away from an invoice whose open amount the line does not pay is no match: the purchase
    orders are tried next, and if they find nothing either, the near invoices are the
    candidates a person looks at."""
    near: list[str] = []
    for ref in (line.invoice_id, line.reference if line.qualifier != "PO" else ""):
        ids, rule, typo = book.by_reference(ref)
        if typo and line.amount is not None:
            # A reference a typo away is believed only if the amount agrees with the invoice.
            agree = [k for k in ids if line.amount in _payable(book, book.by_id[k])]
            if not agree:
                result.problems.append(f"reference {ref!r} is a typo away from {', '.join(ids)}, "
                                       f"but {line.amount} is not what is open there")
                near.extend(ids)
                continue
            ids = agree
        if len(ids) == 1:
            return ids, rule, ref
        if len(ids) > 1:
            result.problems.append(f"reference {ref!r} could be any of {', '.join(ids)}")
            result.candidates.extend(k for k in ids if k not in result.candidates)
            return [], None, ref
    for ref in (line.reference, line.invoice_id):
        ids = book.by_po(ref)
        if len(ids) == 1 or (len(ids) > 1 and line.amount is not None
                             and line.amount == sum((book.left[k] for k in ids), _ZERO)):
            return ids, MatchRule.PO_NUMBER, ref
        if len(ids) > 1:
            result.problems.append(f"purchase order {ref!r} is on several open invoices ({', '.join(ids)}) "
                                   "and the line does not pay all of them")
            result.candidates.extend(k for k in ids if k not in result.candidates)
            return [], None, ref
    written = line.invoice_id or line.reference
    if near:
        result.candidates.extend(k for k in near if k not in result.candidates)
    elif written:
        result.problems.append(f"reference {written!r} names no open invoice of the payer")
    return [], None, written


def _payable(book: _Book, inv: OpenInvoice) -> tuple[Decimal, ...]:
    """What paying ``inv`` in full can amount to today: its open amount, or that less the
    discount its terms still allow."""
    allowed = book.discount_allowed(inv)
    left = book.left[inv.invoice_id]
    return (left, left - allowed) if allowed else (left,)


def _pay_line(book: _Book, result: MatchResult, line: int, ids: list[str], rule: MatchRule, evidence: str,
              paid: Decimal, claimed: Decimal | None, short_ok: bool = True) -> Decimal:
    """Allocate ``paid`` over ``ids`` in order; returns what was allocated.

    A discount is taken where the terms allow it: the one the payer claims (at most the
    terms'), or, claimed or not, when what is paid is the open amount less the terms'
    discount. A discount claimed after the terms allow it is not taken. A shortfall on the
    last invoice is a short pay (``short_ok``) unless a later line pays it."""
    used = _ZERO
    for n, k in enumerate(ids):
        inv = book.by_id[k]
        open_now = book.left[k]
        if open_now <= 0:
            continue
        allowed = book.discount_allowed(inv)
        paying = paid - used
        discount = _ZERO
        if claimed:
            if allowed > 0:
                discount = min(claimed, allowed)
            else:
                result.problems.append(f"discount {claimed} on {k} not allowed on {book.today} "
                                       f"(terms: {inv.discount} until {inv.discount_date})")
        elif allowed > 0 and open_now - allowed <= paying < open_now:
            discount = allowed
        take = min(paying, open_now - discount)
        if take <= 0 and discount <= 0:
            continue
        book.left[k] = open_now - take - discount
        used += take
        result.allocations.append(Allocation(
            invoice_id=k, amount=take, discount=discount, rule=rule, confidence=CONFIDENCE[rule],
            evidence=f"{evidence}; discount {discount} within terms" if discount else evidence, line=line))
        if short_ok and n == len(ids) - 1:
            book.reached.setdefault(k, (rule, bool(claimed) and allowed == 0))
    return used


def _by_amount(book: _Book, result: MatchResult, amount: Decimal, exclude: set[str]) -> Decimal:
    """Match the cash no line placed by its amount; returns what is still left."""
    pool = sorted((book.by_id[k] for k, v in book.left.items() if v > 0 and k not in exclude
                   and v == book.by_id[k].open_amount),
                  key=lambda i: (i.due_date, i.invoice_id))
    if not pool:
        return amount
    for with_discount in (False, True):
        def value(i: OpenInvoice, d: bool = with_discount) -> Decimal:
            return i.open_amount - (book.discount_allowed(i) if d else _ZERO)
        single = [i for i in pool if value(i) == amount]
        if with_discount and single and all(book.discount_allowed(i) == 0 for i in single):
            continue  # the same invoices as without discount
        if len(single) == 1:
            _allocate_whole(book, result, single, MatchRule.UNIQUE_AMOUNT, with_discount, f"amount {amount}")
            return _ZERO
        if len(single) > 1:
            result.problems.append(f"{amount} is the open amount of several invoices "
                                   f"({', '.join(i.invoice_id for i in single)})")
            result.candidates.extend(i.invoice_id for i in single if i.invoice_id not in result.candidates)
            return amount
    for with_discount in (False, True):
        found, exhausted = _combination(pool, amount, book, with_discount)
        if exhausted:
            result.problems.append(f"{amount} could be a combination of the payer's {len(pool)} open "
                                   "invoices, but the search was cut short: a person decides")
            return amount
        if len(found) == 1:
            ids = found[0]
            _allocate_whole(book, result, [book.by_id[k] for k in ids], MatchRule.COMBINATION, with_discount,
                            f"{amount} = {' + '.join(ids)}")
            return _ZERO
        if len(found) > 1:
            result.problems.append(f"{amount} adds up from more than one set of open invoices "
                                   f"({'; '.join(' + '.join(f) for f in found)})")
            result.candidates.extend(k for f in found for k in f if k not in result.candidates)
            return amount
    result.problems.append(f"{amount} matches no open invoice or combination of open invoices of the payer")
    return amount


def _allocate_whole(book: _Book, result: MatchResult, invoices: list[OpenInvoice], rule: MatchRule,
                    with_discount: bool, evidence: str) -> None:
    for inv in invoices:
        discount = book.discount_allowed(inv) if with_discount else _ZERO
        take = book.left[inv.invoice_id] - discount
        book.left[inv.invoice_id] = _ZERO
        result.allocations.append(Allocation(invoice_id=inv.invoice_id, amount=take, discount=discount,
                                             rule=rule, confidence=CONFIDENCE[rule], evidence=evidence))


def _combination(pool: list[OpenInvoice], amount: Decimal, book: _Book,
                 with_discount: bool) -> tuple[list[tuple[str, ...]], bool]:
    """Up to two sets of 2..max_combination invoices from the oldest candidates whose values
    add up to ``amount``, and whether the search ran out of budget before it could tell.

    A depth-first search over the values in ascending order that stops a branch as soon as
    its sum passes ``amount`` (values are positive); ``combination_budget`` bounds the
    branches it visits."""
    s = book.settings
    values = sorted((i.open_amount - (book.discount_allowed(i) if with_discount else _ZERO), i.invoice_id)
                    for i in pool[: s.combination_candidates])
    values = [(v, k) for v, k in values if 0 < v < amount]
    if with_discount and all(book.discount_allowed(book.by_id[k]) == 0 for _, k in values):
        return [], False
    found: list[tuple[str, ...]] = []
    budget = s.combination_budget
    picked: list[str] = []

    def search(start: int, total: Decimal) -> bool:
        """False: stop (two found, or out of budget)."""
        nonlocal budget
        for j in range(start, len(values)):
            v, k = values[j]
            t = total + v
            if t > amount:
                return True  # ascending: every later value passes too
            budget -= 1
            if budget < 0:
                return False
            picked.append(k)
            if t == amount:
                if len(picked) >= 2:
                    found.append(tuple(sorted(picked)))
                    if len(found) > 1:
                        picked.pop()
                        return False
            elif len(picked) < s.max_combination and not search(j + 1, t):
                picked.pop()
                return False
            picked.pop()
        return True

    finished = search(0, _ZERO)
    return found, not finished and len(found) < 2
