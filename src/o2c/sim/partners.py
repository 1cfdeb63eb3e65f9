"""The simulated distributor's X12 trading partners other than its buyers' purchasing systems:
the EDI customers' accounts payable remitting by 820, the third-party warehouse running Reno
(940 in, 945 and a nightly 846 back) and the carrier reporting by 214.

:class:`X12Partners` is the part of :class:`~o2c.sim.run.Simulation` that plays them; it
schedules through the simulation (``at``, ``document``, ``collect``) and draws from its random
streams, so the same seed gives the same run.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from o2c.adapters.edi import build_interchange, parse, write
from o2c.adapters.edi.maps.outbound import FUNCTIONAL_IDS
from o2c.adapters.raw import X12
from o2c.adapters.runtime_parts import SimClock
from o2c.bootstrap import App
from o2c.domain.holds import Role
from o2c.domain.master import Product
from o2c.sim.people import demo_actor
from o2c.sim.world import WAREHOUSES

if TYPE_CHECKING:
    from o2c.sim.run import SimStats
    from o2c.sim.world import SimCustomer

#: the 3PL running Reno: it ships what the 940s o2c sends it say, answers each with a 945, and
#: sends its own count of the warehouse every night in an 846
THIRD_PARTY: dict[str, Any] = {"partner_id": "sierra-3pl", "isa_qualifier": "ZZ", "isa_id": "SIERRA3PL",
               "our_isa_id": "NORTHWINDDIST", "legal_entity_id": "US01", "warehouse_id": "WH-RENO",
               "inbound": ["945", "846"], "outbound": ["940", "997"], "product_qualifiers": ["VN"],
               "timezone": "America/Los_Angeles"}
TPL_SITE = ("SIERRA LOGISTICS RENO", "RNO")  # its N1 name and code for the warehouse


#: the carriers warehouses ship with; one of them reports by X12 214 (shipment status), the
#: others through the tracking aggregator's JSON feed
CARRIERS = ("UPS", "FedEx Freight", "Estes", "Purolator")
X12_CARRIER = "Estes"


CARRIER_PARTNER: dict[str, Any] = {"partner_id": "estes", "isa_qualifier": "02", "isa_id": "EXLA",
                   "our_isa_id": "NORTHWINDDIST", "legal_entity_id": "US01", "inbound": ["214"],
                   "timezone": "America/Chicago"}


#: the SCACs the 3PL writes in its 945 (W2702) and the X12 carrier in its 214 (B1003)
SCAC = {"UPS": "UPSN", "FedEx Freight": "FXFE", "Estes": "EXLA", "Purolator": "PURO"}


#: where each warehouse is, as a carrier's 214 says it (MS1) and the zone of its times (AT707)
SITES = {"WH-COLUMBUS": ("COLUMBUS", "OH", "US", "ET", "America/New_York"),
         "WH-DALLAS": ("DALLAS", "TX", "US", "CT", "America/Chicago"),
         "WH-RENO": ("RENO", "NV", "US", "PT", "America/Los_Angeles"),
         "WH-TORONTO": ("TORONTO", "ON", "CA", "ET", "America/Toronto")}
SIGNERS = ("RECEIVING", "J MARTINEZ", "K OBRIEN", "D NGUYEN", "S PATEL", "DOCK 2")
STATUS_214 = "x12-214"  # the batch kind of a carrier's 214s (one interchange an hour)
ACK_997 = "x12-997"  # the batch kind of a partner's 997s answering what o2c sent (one interchange a day)
#: of every 100 invoices (810) o2c sends, how many a buyer's translator rejects: chosen by the
#: invoice number's checksum, not drawn, so the run's random streams are those of a run without
REJECTED_810S = 1


#: why an EDI customer says it short-paid an invoice (820 ADX02, X12 code list 426), and how often:
#: pricing error, quantity contested, item not accepted - damaged, item not received
SHORT_PAY_REASONS = {"01": 0.4, "06": 0.25, "04": 0.2, "59": 0.15}


#: the distributor's bank account EDI customers remit to (820 BPR13/BPR15)
OUR_BANK = ("071000013", "4471203398")


@dataclass(slots=True)
class Stockroom:
    """What the 3PL itself knows of its warehouse, per (product, lot): what it received and
    shipped (``on_hand``), what the 940s it holds still ask for (``promised``), and what moved
    since its last count. Its count is this, never o2c's figures."""

    on_hand: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    promised: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    moved: set[tuple[str, str]] = field(default_factory=set)
    shipments: int = 0

    def add(self, key: tuple[str, str], qty: Decimal) -> None:
        self.on_hand[key] = self.on_hand.get(key, Decimal(0)) + qty
        self.moved.add(key)

    def promise(self, key: tuple[str, str], qty: Decimal) -> None:
        self.promised[key] = self.promised.get(key, Decimal(0)) + qty

    def free(self, key: tuple[str, str]) -> Decimal:
        return self.on_hand.get(key, Decimal(0)) - self.promised.get(key, Decimal(0))


@dataclass(frozen=True, slots=True)
class WarehouseOrder:
    """A 940 as the 3PL reads it: our order id (W0502), the buyer's PO (W0503), and per LX the
    line (N9 LI), product (W01 VN), lot (N9 LT, "-" without), quantity and unit (W01)."""

    order_id: str
    po_number: str
    lines: tuple[tuple[int, str, str, Decimal, str], ...]


def read_940(x12: str) -> WarehouseOrder | None:
    """The warehouse order of a 940 interchange, or None when it is not one the 3PL can use."""
    result = parse(x12)
    sets = result.transaction_sets()
    if result.errors or len(sets) != 1 or sets[0].id != "940":
        return None
    order_id = po = ""
    lines: list[list[Any]] = []
    for seg in sets[0].segments:
        e = seg.element
        if seg.id == "W05":
            order_id, po = e(2), e(3)
        elif seg.id == "LX":
            lines.append([0, "", "-", Decimal(0), ""])
        elif not lines:
            continue
        elif seg.id == "W01" and e(4) == "VN":
            lines[-1][1], lines[-1][3], lines[-1][4] = e(5), Decimal(e(1)), e(2)
        elif seg.id == "N9" and e(1) == "LI":
            lines[-1][0] = int(e(2))
        elif seg.id == "N9" and e(1) == "LT":
            lines[-1][2] = e(2)
    if not order_id or not lines or any(not (n and pid and qty > 0) for n, pid, _, qty, _ in lines):
        return None
    return WarehouseOrder(order_id, po, tuple((n, pid, lot, qty, u) for n, pid, lot, qty, u in lines))


def _num(d: Decimal) -> str:
    """A quantity as X12 writes it: no exponent, no trailing zeros."""
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def next_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _routing(n: int) -> str:
    """A nine-digit ABA routing number, its check digit right, for the simulated bank ``n``."""
    head = f"{n % 10**8:08d}"
    check = -sum(int(d) * w for d, w in zip(head, (3, 7, 1, 3, 7, 1, 3, 7), strict=True)) % 10
    return f"{head}{check}"


class X12Partners:
    """The simulation's X12 partners (see the module docstring). The attributes below are the
    simulation's own."""

    app: App
    clock: SimClock
    rng: random.Random
    remit_rng: random.Random
    count_rng: random.Random
    stats: SimStats
    customers: dict[str, SimCustomer]
    products: dict[str, Product]
    product_ids: list[str]
    remittances: dict[tuple[str, datetime], list[tuple[dict[str, Any], Decimal, Decimal]]]
    tpl: Stockroom
    count_errors: tuple[float, float]
    miscounts: set[tuple[str, str, str]]
    _isa: int
    at: Callable[[datetime, str, Any], None]
    document: Callable[[datetime, str, str, bytes, str], None]
    collect: Callable[[datetime, str, str, Any], None]
    _carry: Callable[..., None]

    def _ship_940(self, now: datetime, doc: dict[str, Any]) -> None:
        """The 3PL ships what a 940 asks for as the other warehouses ship a release (the same
        lead times and carriers), from the lots it names, and answers with a 945 when the truck
        leaves (``_confirm_945``); then the carrier delivers it. It knows only what the 940 says."""
        order = read_940(str(doc.get("x12", "")))
        if order is None:
            self.stats.unreadable += 1
            return
        rng, wh, tpl = self.rng, THIRD_PARTY["warehouse_id"], self.tpl
        lo, hi = WAREHOUSES[wh][2]
        shipped = now + timedelta(hours=rng.uniform(lo, hi))
        rng.uniform(0.5, min(2.5, lo))  # when it picks: a 3PL reports no picks (drawn as _ship does)
        carrier = rng.choice(CARRIERS)
        pro = f"{rng.randrange(10**9, 10**10)}"
        confirmed = shipped
        if rng.random() < 0.006:  # the 945 waits a few hours in the 3PL's EDI queue
            confirmed += timedelta(hours=rng.uniform(2, 8))
        lines = []
        for n, pid, lot, qty, unit in order.lines:  # it sets aside what it has of each lot
            take = min(qty, max(tpl.free((pid, lot)), Decimal(0)))
            if take < qty:
                self.stats.short_shipped += 1
            tpl.promise((pid, lot), take)
            lines.append((n, pid, lot, qty, take, unit))
        if not any(take for *_, take, _ in lines):
            return  # nothing of it on the shelf: nothing ships (o2c's stock and the 3PL's disagree)
        self.stats.shipments += 1
        tpl.shipments += 1
        sid = f"SRL{tpl.shipments:07d}"  # the 3PL's own shipment number, which its 945 gives o2c
        self.at(confirmed, "945", (order, tuple(lines), sid, shipped, carrier, pro))
        self._carry(wh, sid, order.order_id, carrier, pro, shipped, confirmed, confirmed)

    def _confirm_945(self, when: datetime, data: tuple[Any, ...]) -> None:
        """The 3PL's shipping advice (X12 945): W06 with our order id from the 940 (W0502) and its
        shipment id, the carrier (W27) and PRO (N9 CN), when the truck left (G62 11, its local
        time), and per LX the line (N9 LI), what was ordered and shipped (W12) and the lot (N9 LT)."""
        order, lines, sid, shipped, carrier, pro = data
        tpl = self.tpl
        local = shipped.astimezone(ZoneInfo(THIRD_PARTY["timezone"]))
        segs: list[tuple[str, ...]] = [
            ("W06", "F", order.order_id, f"{local:%Y%m%d}", sid, "", order.po_number),
            ("N1", "SF", TPL_SITE[0], "92", TPL_SITE[1]),
            ("N9", "BM", sid), ("N9", "CN", pro), ("W27", "M", SCAC[carrier], carrier),
            ("G62", "11", f"{local:%Y%m%d}", "8", f"{local:%H%M}", "LT")]  # when the truck left, its time
        total = Decimal(0)
        for i, (n, pid, lot, qty, take, unit) in enumerate(lines, 1):
            key = (pid, lot)
            tpl.add(key, -take)
            tpl.promise(key, -take)
            total += take
            segs += [("LX", str(i)), ("N9", "LI", str(n)),
                     ("W12", "CC" if take == qty else "CP", _num(qty), _num(take), _num(qty - take), unit,
                      "", "VN", pid)]
            if lot != "-":
                segs.append(("N9", "LT", lot))
        segs.append(("W03", _num(total)))
        self._x12(when, THIRD_PARTY, "SW", "945", [segs])

    def _status(self, when: datetime, wh: str, sid: str, order_id: str, pro: str, code: str,
                at: datetime) -> None:
        """One X12 214 of the carrier's hourly interchange: B10 (PRO, the shipment id as the
        warehouse reported it, SCAC), L11 OQ our order id, an AT7 status at the warehouse's
        local time and zone code; AF (departed) with where (MS1), D1 (delivered) with the
        signer (K1)."""
        city, region, country, code_tz, zone = SITES[wh]
        local = at.astimezone(ZoneInfo(zone))
        segs: list[tuple[str, ...]] = [
            ("B10", pro, sid, SCAC[X12_CARRIER]), ("L11", order_id, "OQ"), ("LX", "1"),
            ("AT7", code, "NS", "", "", f"{local:%Y%m%d}", f"{local:%H%M}", code_tz)]
        if code == "D1":
            segs.append(("K1", self.count_rng.choice(SIGNERS)))
        else:
            segs.append(("MS1", city, region, country))
        self.collect(when, CARRIER_PARTNER["partner_id"], STATUS_214, segs)

    def _count(self, when: datetime) -> None:
        """The 3PL's nightly inventory advice (X12 846): its own count of each (product, lot) that
        moved that day and of a few others, on hand (QTY 17) in the product's unit. Mostly it is
        what o2c has too; now and then it finds a real difference (within the policy's tolerance,
        so o2c books it), rarely it miscounts by more (o2c refers that to warehouse_ops)."""
        tpl, rng = self.tpl, self.count_rng
        sample = set(rng.sample(self.product_ids, min(12, len(self.product_ids))))
        keys = sorted(tpl.moved | {k for k, q in tpl.on_hand.items() if k[0] in sample and q > 0})
        tpl.moved.clear()
        if not keys:
            return
        local = when.astimezone(ZoneInfo(THIRD_PARTY["timezone"]))
        advice = f"{TPL_SITE[1]}-{local:%Y%m%d}"
        small, large = self.count_errors
        segs: list[tuple[str, ...]] = [("BIA", "00", "DD", advice, f"{local:%Y%m%d}", f"{local:%H%M}"),
                                       ("N1", "WH", TPL_SITE[0], "92", TPL_SITE[1])]
        total = Decimal(0)
        for i, key in enumerate(keys, 1):
            pid, lot = key
            counted = qty = tpl.on_hand.get(key, Decimal(0))
            roll = rng.random()
            if roll < small and qty >= 50:  # found damaged, or a carton more: at most 2 %
                delta = Decimal(max(1, int(qty * Decimal(str(rng.uniform(0.002, 0.02))))))
                if rng.random() < 0.7 and tpl.free(key) >= delta:
                    delta = -delta
                tpl.add(key, delta)
                counted = qty + delta
            elif small <= roll < small + large and qty >= 20:  # a miscount, by 5 to 15 %
                delta = Decimal(max(3, round(qty * Decimal(str(rng.uniform(0.05, 0.15))))))
                counted = qty + (delta if rng.random() < 0.5 else -delta)
                self.miscounts.add((pid, lot, advice))
            total += counted
            segs += [("LIN", str(i), "VN", pid, *(("LT", lot) if lot != "-" else ())),
                     ("QTY", "17", _num(counted), self.products[pid].base_uom)]
        segs.append(("CTT", str(len(keys)), _num(total)))
        self._x12(when, THIRD_PARTY, "IB", "846", [segs])

    def _x12(self, when: datetime, partner: dict[str, Any], functional: str, set_id: str,
             sets: list[list[tuple[str, ...]]]) -> None:
        """An interchange from a partner (the 3PL, the carrier) to us, one group of ``sets``."""
        self._isa += 1
        ic = build_interchange(partner["isa_id"], "NORTHWINDDIST", self._isa, at=when.replace(tzinfo=None),
                               sender_qualifier=partner["isa_qualifier"],
                               groups=[(functional, "004010", self._isa,
                                        [(set_id, f"{i:04d}", segs) for i, segs in enumerate(sets, 1)])])
        self.document(when, "edi", X12, write(ic).encode(), f"{set_id}-{self._isa:09d}.edi")

    def _acknowledge(self, now: datetime, doc: dict[str, Any]) -> None:
        """The partner's translator answers what o2c sent (an 855, 856, 810 or 940) with a 997
        in its nightly interchange (22:00 UTC, within the policy's day); a small share of
        invoices it rejects (``REJECTED_810S``)."""
        envelope = doc.get("envelope")
        if not isinstance(envelope, dict):
            return
        set_id = str(doc.get("set", ""))
        rejected = (set_id == "810" and
                    zlib.crc32(str(doc.get("invoice_id", "")).encode()) % 100 < REJECTED_810S)
        nightly = datetime.combine(now.date(), time(22), tzinfo=UTC)
        when = nightly if nightly > now else nightly + timedelta(days=1)
        if when - now >= timedelta(days=1):  # sent as the nightly run starts: answered in that run
            when = now + timedelta(minutes=1)
        self.collect(when, str(envelope["partner_id"]), ACK_997,
                     (set_id, str(envelope["group_control_number"]), tuple(envelope["set_control_numbers"]),
                      rejected))

    def _acks(self, when: datetime, partner_id: str, items: list[Any]) -> None:
        """One interchange of 997s from ``partner_id``, one per group it answers."""
        if partner_id == THIRD_PARTY["partner_id"]:
            partner: dict[str, Any] = THIRD_PARTY
        else:
            sc = self.customers.get(partner_id)
            if sc is None:
                return
            partner = {"isa_id": sc.customer.edi_id or partner_id, "isa_qualifier": "ZZ"}
        sets = []
        for set_id, group, controls, rejected in items:
            segs: list[tuple[str, ...]] = [("AK1", FUNCTIONAL_IDS[set_id], group)]
            for control in controls:
                segs.append(("AK2", set_id, str(control).zfill(4)))
                if rejected:  # an IT1 without its unit of measure, as its translator reads it
                    segs += [("AK3", "IT1", "4", "", "8"), ("AK4", "3", "355", "1")]
                segs.append(("AK5", "R" if rejected else "A"))
            n = str(len(controls))
            segs.append(("AK9", "R" if rejected else "A", n, n, "0" if rejected else n))
            sets.append(segs)
        self._x12(when, partner, "FA", "997", sets)

    def _recounts(self, now: datetime) -> None:
        """warehouse_ops works the count differences o2c referred to it: for a miscount, the 3PL
        recounts, finds o2c's figure right, and ops keeps it (replays the referral with "keep")."""
        with self.app.store.unit_of_work() as uow:
            letters = sorted((d for d in uow.dead_letters.open() if d.code == "INV-COUNT-MISMATCH"),
                             key=lambda d: d.dead_letter_id)
        for letter in letters:
            body = json.loads(letter.body)
            key = (body.get("product_id", ""), body.get("lot_id", ""), body.get("advice_id", ""))
            if key in self.miscounts:
                self.miscounts.discard(key)
                self.at(now + timedelta(hours=self.count_rng.uniform(1, 6)), "recount",
                        (letter.dead_letter_id, {**body, "action": "keep"}))

    def _recount(self, when: datetime, data: tuple[str, dict[str, Any]]) -> None:
        if when > self.clock.now():
            self.clock.set(when)
        self.stats.decisions += 1
        self.app.runtime.replay(data[0], json.dumps(data[1]), actor=demo_actor(Role.WAREHOUSE_OPS))

    def _remit(self, key: tuple[str, datetime]) -> None:
        """An EDI customer's accounts payable pays by ACH and sends the remittance advice, an X12
        820: one RMR per invoice (paid, invoiced, discount taken), and an ADX after the RMR of
        an invoice it short-paid, with the amount deducted and why, so that o2c opens a dispute."""
        customer_id, when = key
        items = self.remittances.pop(key)
        c = self.customers[customer_id].customer
        self._isa += 1
        bank = zlib.crc32(customer_id.encode())
        routing, account = _routing(bank), f"{bank % 10**10:010d}"
        company = f"1{bank % 10**9:09d}"  # the payer's originating company id: "1" and its EIN
        total = sum((paid for _, paid, _ in items), Decimal(0))
        remits: list[tuple[str, ...]] = []
        for inv, paid, taken in items:
            invoiced = Decimal(inv["total"])
            remits.append(("RMR", "IV", inv["invoice_id"], "PI", str(paid), str(invoiced),
                           *((str(taken),) if taken else ())))
            deducted = invoiced - taken - paid
            if deducted > 0:
                reason = self.remit_rng.choices(list(SHORT_PAY_REASONS), list(SHORT_PAY_REASONS.values()))[0]
                remits.append(("ADX", str(-deducted), reason, "IV", inv["invoice_id"]))
        segs: list[tuple[str, ...]] = [
            ("BPR", "C", str(total), "C", "ACH", "CTX", "01", routing, "DA", account, company, "",
             "01", *OUR_BANK, when.strftime("%Y%m%d")),
            ("TRN", "1", f"{routing[:8]}{self._isa:07d}", company),  # the ACH trace number
            ("CUR", "PR", items[0][0]["currency"]),
            ("N1", "PR", c.name, "91", customer_id),  # our account number for the payer
            ("N1", "PE", "Northwind Distribution"),
            ("ENT", "1"),
            *remits,
        ]
        ic = build_interchange(c.edi_id or customer_id, "NORTHWINDDIST", self._isa,
                               at=when.replace(tzinfo=None),
                               groups=[("RA", "004010", self._isa, [("820", "0001", segs)])])
        self.document(when, "edi", X12, write(ic).encode(), f"820-{self._isa:09d}.edi")
