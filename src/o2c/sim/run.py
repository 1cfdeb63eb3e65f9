"""The simulation loop: a discrete-event schedule of what the outside world
sends, processed in ten-minute ticks through the real runtime.

Only open work is kept in memory (scheduled messages, holds under review,
pending replenishments), so memory does not grow with simulated history.
"""

from __future__ import annotations

import bisect
import csv
import heapq
import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from o2c.adapters.documents import Integrations
from o2c.adapters.edi import build_interchange, write
from o2c.adapters.master_export import export_csv
from o2c.adapters.master_files import master_document
from o2c.adapters.raw import CARRIER, CSV_ORDERS, WMS_A, WMS_B, X12, raw_document
from o2c.adapters.runtime_parts import SimClock
from o2c.bootstrap import App
from o2c.domain.actors import Actor
from o2c.domain.holds import Hold, HoldCode, Role
from o2c.domain.money import Money
from o2c.engine.authority import tier
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Status
from o2c.sim.banking import BANK_FILES, Banking, BankPayers
from o2c.sim.dispute_desk import settle
from o2c.sim.partners import (
    ACK_997,
    CARRIER_PARTNER,
    CARRIERS,
    STATUS_214,
    THIRD_PARTY,
    X12_CARRIER,
    Stockroom,
    X12Partners,
    next_hour,
)
from o2c.sim.people import demo_actor
from o2c.sim.world import WAREHOUSES, SimCustomer, World

TICK = timedelta(minutes=10)
#: weekday demand factors, Monday first: distributors' orders peak early in the week
WEEKDAY = (1.25, 1.15, 1.05, 1.0, 0.85, 0.12, 0.05)

#: how people resolve holds in the simulation: (action, probability, hours min, hours max)
PEOPLE: dict[HoldCode, tuple[str, float, float, float]] = {
    HoldCode.VAL_CUSTOMER_UNKNOWN: ("reject", 1.0, 2, 10),
    HoldCode.VAL_SHIPTO_UNKNOWN: ("reject", 1.0, 1, 8),
    HoldCode.VAL_ITEM_UNKNOWN: ("reject", 1.0, 2, 12),
    HoldCode.VAL_UOM_INVALID: ("reject", 1.0, 1, 8),
    HoldCode.VAL_MISSING_FIELD: ("reject", 1.0, 1, 6),
    HoldCode.VAL_DUPLICATE_PO: ("reject", 0.95, 1, 6),
    HoldCode.VAL_DUPLICATE_LINE: ("reject", 1.0, 1, 6),
    HoldCode.VAL_CHANGE_TOO_LATE: ("override", 1.0, 1, 8),  # keep the order as it was released
    HoldCode.PRC_CONTRACT_MISMATCH: ("override", 0.75, 3, 30),
    HoldCode.PRC_BELOW_FLOOR: ("override", 0.8, 4, 24),
    HoldCode.PRC_PO_PRICE_INVALID: ("reject", 1.0, 2, 12),
    HoldCode.TRM_NONSTANDARD: ("override", 0.9, 2, 12),
    HoldCode.CRD_OVER_LIMIT: ("release", 0.85, 1, 28),
    HoldCode.CRD_PAST_DUE: ("release", 0.7, 4, 48),
    HoldCode.CRD_ACCOUNT_BLOCKED: ("reject", 1.0, 4, 24),
}
BACKORDER_PATIENCE = timedelta(days=10)

#: each warehouse's system: WMS "A" pushes JSON as things happen (site code),
#: WMS "B" drops a CSV file each night (its source in the integration configuration);
#: Reno is run by a third-party logistics provider (below), reached only by X12
WMS_SITES = {"WH-COLUMBUS": ("wms-a", "COL"),
             "WH-DALLAS": ("wms-b-dallas", ""), "WH-TORONTO": ("wms-b-toronto", "")}
#: the CSV order files of field sales, per legal entity: source, header, delimiter, decimal
#: separator, date format, encoding (as configured in ``integrations.yaml``)
SALES_FILES = {
    "US01": ("sales-us", ("Account", "PO Number", "Ship To", "Item", "Qty", "UoM", "Price", "Need By"),
             ",", ".", "%m/%d/%Y", "utf-8"),
    "CA01": ("sales-ca", ("Client", "Bon de commande", "Livrer à", "Article", "Quantité", "Unité", "Prix",
                          "Date requise"), ";", ",", "%d/%m/%Y", "cp1252"),
}
WMS_B_HEADER = ("STATUS", "ORDER_NO", "LINE", "ITEM", "LOT", "QTY_SHIPPED", "SHIP_DATE", "SHIP_TIME",
                "CARRIER", "PRO_NO", "REASON")


@dataclass(slots=True)
class SimStats:
    days: int = 0
    messages: int = 0
    orders_sent: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    shipments: int = 0
    payments: int = 0
    bank_files: dict[str, int] = field(default_factory=dict)  # bank files sent by kind (lockbox, bai2, camt)
    decisions: int = 0
    receipts: int = 0
    documents: int = 0  # files and payloads (X12, CSV, WMS, carrier feed) stored whole, then split
    sent: dict[str, int] = field(default_factory=dict)  # outbound messages by kind (edi_855, invoice...)
    unreadable: int = 0  # X12 from o2c a simulated partner could not read (a 940 the 3PL cannot use)
    short_shipped: int = 0  # 940 lines the 3PL had not the stock for (its count and o2c's disagreed)
    timers: int = 0  # durable timers fired (SLA escalations, overdue PODs, stall checks)
    master_changes: int = 0  # credit limits and contract prices the ERP changed while orders ran
    promises: int = 0  # promises to pay collections recorded after a second dunning notice


_EASTERN = ZoneInfo("America/New_York")


def _z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Simulation(X12Partners, BankPayers):
    def __init__(self, app: App, clock: SimClock, world: World, *, seed: int, start: date) -> None:
        self.app, self.clock, self.world = app, clock, world
        self.rng = random.Random(seed * 7919 + 1)
        self.start = datetime.combine(start, time(0), tzinfo=UTC)
        self.heap: list[tuple[datetime, int, str, Any]] = []
        self._seq = 0
        self.stats = SimStats()
        self.reviewing: set[str] = set()
        self.taken_up: set[tuple[str, str]] = set()  # (hold, role) escalations someone took up
        self.replenishing: set[tuple[str, str]] = set()
        self.customers = {c.customer.customer_id: c for c in world.customers}
        self.agreed: dict[str, list[tuple[str, Decimal]]] = {}
        for a in world.agreements:
            self.agreed.setdefault(a.customer_id, []).append((a.product_id, a.price.amount))
        self.products = {p.product_id: p for p in world.products}
        self.product_ids = sorted(self.products)
        self._isa = 0
        self._docs = 0
        self.csv_rows: dict[str, list[list[str]]] = {}
        self.csv_later: dict[str, list[list[str]]] = {}
        self.batches: dict[tuple[str, str, datetime], list[Any]] = {}
        #: what each EDI customer pays in one pay run, one 820 each: (invoice, paid, discount taken)
        self.remittances: dict[tuple[str, datetime], list[tuple[dict[str, Any], Decimal, Decimal]]] = {}
        self.remit_rng = random.Random(seed * 7919 + 2)  # its own draws: the rest of the world is unmoved
        #: the 3PL's counts, the X12 carrier's signers and warehouse_ops' recounts draw from their own
        self.count_rng = random.Random(seed * 7919 + 3)
        self.master_rng = random.Random(seed * 7919 + 4)  # the ERP's weekly changes
        self.banking = Banking(seed)  # the customers paying through banks, and the banks' files
        self.agreements = {a.agreement_id: a for a in world.agreements}
        self.tpl = Stockroom()
        #: per counted item, the chance of a real difference the 3PL finds (within the policy's
        #: tolerance: o2c books it) and of a miscount (beyond it: o2c refers it to warehouse_ops,
        #: who has the 3PL recount and keeps o2c's figures)
        self.count_errors = (0.02, 0.002)
        self.miscounts: set[tuple[str, str, str]] = set()  # (product, lot, advice id) miscounted
        self.integrations = self.configuration(world)
        self.splitters = self.integrations.splitters()
        self.warehouses_of = {le.entity_id: sorted(w.warehouse_id for w in world.warehouses
                                                   if w.legal_entity_id == le.entity_id)
                              for le in world.entities}
        self.timers = app.timer_service()
        #: dispute cases a person has set out to settle, and the draws of how (their own)
        self.settling: set[str] = set()
        self.dispute_rng = random.Random(seed * 7919 + 5)

    @staticmethod
    def packaged_integrations(partners: list[dict[str, Any]] | None = None) -> Integrations:
        """The simulated distributor's integration configuration (``integrations.yaml``)."""
        raw = yaml.safe_load(resources.files("o2c.sim").joinpath("integrations.yaml").read_text("utf-8"))
        if partners:
            raw["partners"] = partners
        return Integrations.from_mapping(raw)

    @staticmethod
    def configuration(world: World) -> Integrations:
        """The packaged integration configuration, with an X12 trading partner per EDI customer
        (850, 860 and 820 in; 855, 856, 810 and 997 back), the 3PL running Reno (940 and 997
        out; 945 and 846 in) and the carrier reporting by 214. The app the simulation drives
        must be bootstrapped with it: the 3PL ships only what a 940 asks for."""
        currency = {e.entity_id: e.currency for e in world.entities}
        return Simulation.packaged_integrations([
            *({"partner_id": sc.customer.customer_id, "isa_qualifier": "ZZ",
               "isa_id": sc.customer.edi_id or sc.customer.customer_id, "our_isa_id": "NORTHWINDDIST",
               "legal_entity_id": sc.customer.legal_entity_id, "customer_id": sc.customer.customer_id,
               "inbound": ["850", "860", "820"], "outbound": ["855", "856", "810", "997"],
               "product_qualifiers": ["VP"], "currency": currency[sc.customer.legal_entity_id]}
              for sc in world.customers if sc.traits.channel == "edi"),
            THIRD_PARTY, CARRIER_PARTNER])

    # ------------------------------------------------------------ scheduling

    def at(self, when: datetime, kind: str, data: Any) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (when, self._seq, kind, data))

    def document(self, when: datetime, source: str, kind: str, data: bytes, name: str) -> None:
        """A file or payload, stored whole and split when it arrives."""
        self.at(when, "doc", (source, kind, data, name))

    def collect(self, when: datetime, source: str, kind: str, item: Any) -> None:
        """Add ``item`` to the batch ``source`` sends at ``when`` (a nightly file, an hourly feed)."""
        key = (source, kind, when)
        if key not in self.batches:
            self.batches[key] = []
            self.at(when, "batch", key)
        self.batches[key].append(item)

    def message(self, when: datetime, source: str, msg_id: str, kind: str, body: Any,
                actor: Actor | None = None) -> None:
        """A message ``source`` sends at ``when``; ``actor``: the person who sends it (None: the
        source system itself)."""
        self.at(when, "msg", (source, msg_id, kind, body if isinstance(body, str)
                              else json.dumps(body, default=str), actor))

    # ------------------------------------------------------------ setup

    def setup(self) -> None:
        """Master data sent by the ERP as files in o2c's default layout (legal entities,
        warehouses, products, customers, price agreements: each stored whole, split into a
        message per record and applied as any system of record's would be), and opening stock
        received the day before the first day."""
        world = self.world
        for kind, records in (("legal_entities", world.entities), ("warehouses", world.warehouses),
                              ("products", world.products),
                              ("customers", [c.customer for c in world.customers]),
                              ("price_agreements", world.agreements), ("tax_rates", world.tax_rates)):
            text = export_csv(kind, records)
            raw = master_document(text, kind, source="erp", file_name=f"{kind}.csv",
                                  received_at=self.clock.now())
            head, outs = self.app.runtime.submit_document(raw, self.splitters[raw.kind])
            parked = [o for o in (head, *outs) if o.status not in (Status.APPLIED, Status.DUPLICATE)]
            if parked:
                raise RuntimeError(f"the world's {kind} did not load: {parked[0].code}: {parked[0].reason}")
        opening = self.start - timedelta(hours=12)
        for wh in WAREHOUSES:
            for pid in self.product_ids:
                self._receipt(opening, wh, pid, Decimal(self.rng.randint(20, 60)) * 10)
        self.tpl.moved.clear()  # the 3PL's first count is of what moves from the first day
        for d in range(400):
            self.at(self.start + timedelta(days=d), "day", d)

    def _receipt(self, when: datetime, wh: str, pid: str, qty: Decimal) -> None:
        p = self.products[pid]
        lot, expiry = "-", None
        if p.lot_controlled:
            expiry = (when + timedelta(days=self.rng.randint(90, 540))).date()
            lot = f"L{when:%y%m%d}{self.rng.randint(100, 999)}"
        self.stats.receipts += 1
        if wh == THIRD_PARTY["warehouse_id"]:  # the 3PL puts it away and counts it in
            self.tpl.add((pid, lot), qty)
        self.message(when, "erp", f"rcpt-{wh}-{pid}-{when:%Y%m%d%H%M}", "stock_receipt",
                     {"warehouse_id": wh, "product_id": pid, "lot_id": lot, "expiry": expiry,
                      "quantity": str(qty), "reference": f"PO-{wh}-{when:%Y%m%d}-{pid}"})

    # ------------------------------------------------------------ the world acting

    def _day(self, d: int) -> None:
        day = self.start + timedelta(days=d)
        factor = WEEKDAY[day.weekday()] * (1 + 0.15 * math.sin(2 * math.pi * d / 365))
        for sc in self.world.customers:
            for _ in range(_poisson(self.rng, sc.traits.orders_per_week / 5 * factor)):
                self._order(day, sc)
        self._sales_files(day)
        self.at(day + timedelta(hours=5), "replenish", None)
        self.at(day + timedelta(hours=7, minutes=15), "count", None)  # 23:15 in Reno, the night before
        if day.weekday() < 5:
            for h in range(8, 18):
                self.at(day + timedelta(hours=h), "review", None)
        if d and d % 7 == 0:
            self.at(day + timedelta(hours=6), "erp_changes", d)

    def _order(self, day: datetime, sc: SimCustomer) -> None:
        c, t, rng = sc.customer, sc.traits, self.rng
        if t.channel == "csv":
            when = day + timedelta(hours=17, minutes=30)  # field sales upload once a day
        elif t.channel == "edi":
            when = day + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
        else:
            when = day + timedelta(minutes=rng.randint(7 * 60, 19 * 60))
        self.stats.orders_sent += 1
        po = f"{c.customer_id}-{day:%y%m%d}-{rng.randint(1000, 9999)}"
        agreed = self.agreed.get(c.customer_id, [])
        lines = []
        for i in range(1 + _poisson(rng, t.lines_mean - 1)):
            if agreed and rng.random() < 0.75:
                pid, price = agreed[rng.randrange(len(agreed))]
            else:
                pid = self.product_ids[rng.randrange(len(self.product_ids))]
                price = self.products[pid].list_prices[self._currency(c.legal_entity_id)]
            p = self.products[pid]
            uom, factor = ("CS", p.uom_factors["CS"]) if rng.random() < 0.4 else (p.base_uom, Decimal(1))
            qty = rng.randint(1, 4) if uom == "CS" else rng.randint(5, 60)
            unit_price = price * factor
            if rng.random() < t.price_drift:
                unit_price = (unit_price * Decimal("1.09")).quantize(Decimal("0.01"))
            lines.append({"line_no": i + 1, "product_id": pid, "quantity": str(qty), "uom": uom,
                          "unit_price": str(unit_price.quantize(Decimal("0.0001")))})
        body: dict[str, Any] = {
            "legal_entity_id": c.legal_entity_id, "customer_id": c.customer_id,
            "ship_to_id": rng.choice(c.ship_tos).ship_to_id, "po_number": po, "channel": t.channel,
            "currency": self._currency(c.legal_entity_id), "order_date": when.date().isoformat(),
            "requested_date": (when + timedelta(days=rng.randint(2, 7))).date().isoformat(),
            "lines": lines,
        }
        if rng.random() < t.data_quality:
            self._spoil(body)
        if t.channel == "edi":
            self._edi_order(when, sc, body)
            return
        if t.channel == "csv":
            self._csv_order(body)
            return
        source = "portal"
        msg_id = f"{source}-{po}"
        self.message(when, source, msg_id, "order", body)
        roll = rng.random()
        if roll < 0.008:  # a double click: the portal posts the order twice
            self.message(when + timedelta(minutes=20), source, msg_id, "order", body)
        elif roll < 0.02:  # the buyer also emails it and customer service keys it in again
            self.message(when + timedelta(hours=rng.randint(1, 6)), "portal",
                         f"portal-rekey-{po}", "order", {**body, "channel": "portal"})
        elif roll < 0.023:  # a broken message from the channel
            self.message(when, source, f"{msg_id}-bad", "order",
                         json.dumps({k: v for k, v in body.items() if k != "currency"}))

    def _edi_order(self, when: datetime, sc: SimCustomer, body: dict[str, Any]) -> None:
        """The customer's purchasing system sends an X12 850 through the VAN."""
        rng = self.rng
        self._isa += 1
        day = date.fromisoformat(body["order_date"]).strftime("%Y%m%d")
        segs: list[tuple[str, ...]] = [("BEG", "00", "SA", body["po_number"], "", day),
                                       ("CUR", "BY", body["currency"]),
                                       ("DTM", "002", body["requested_date"].replace("-", ""))]
        if body.get("payment_terms") == "net 90":
            segs.append(("ITD", "01", "3", "", "", "", "", "90"))
        segs.append(("N1", "ST", "Receiving", "92", body["ship_to_id"]))
        for ln in body["lines"]:
            segs.append(("PO1", str(ln["line_no"]), ln["quantity"], ln["uom"], ln["unit_price"], "",
                         "VP", ln["product_id"]))
        segs.append(("CTT", str(len(body["lines"]))))
        sender = sc.customer.edi_id or sc.customer.customer_id
        if body["customer_id"] != sc.customer.customer_id:
            sender = "UNKNOWNVAN"  # an interchange from a sender nobody set up
        ic = build_interchange(sender, "NORTHWINDDIST", self._isa, at=when.replace(tzinfo=None),
                               groups=[("PO", "004010", self._isa, [("850", "0001", segs)])])
        data = write(ic).encode()
        roll = rng.random()
        if roll < 0.004:
            data = data[: len(data) // 2]  # the VAN cut the file short
        name = f"850-{self._isa:09d}.edi"
        self.document(when, "edi", X12, data, name)
        if roll > 0.992:  # the VAN delivers the same interchange twice
            self.document(when + timedelta(minutes=20), "edi", X12, data, name)
        elif 0.004 <= roll < 0.035 and sender != "UNKNOWNVAN" and body["po_number"]:
            self._edi_change(when + timedelta(hours=rng.uniform(0.2, 6)), sender, body)

    def _edi_change(self, when: datetime, sender: str, body: dict[str, Any]) -> None:
        """The buyer changes its PO (X12 860): one more case of line 1, or the last line
        cancelled. Most orders are released within minutes, so many changes come too late."""
        self._isa += 1
        lines = body["lines"]
        segs: list[tuple[str, ...]] = [("BCH", "04", "SA", body["po_number"], "", "1",
                                        when.strftime("%Y%m%d"))]
        if len(lines) > 1 and self.rng.random() < 0.5:
            segs.append(("POC", str(lines[-1]["line_no"]), "DI", "", "", lines[-1]["uom"]))
        else:
            first = lines[0]
            qty = str(int(first["quantity"]) + 1)
            segs.append(("POC", str(first["line_no"]), "QI", qty, qty, first["uom"], first["unit_price"],
                         "", "VP", first["product_id"]))
        segs.append(("CTT", str(len(segs) - 1)))
        ic = build_interchange(sender, "NORTHWINDDIST", self._isa, at=when.replace(tzinfo=None),
                               groups=[("PC", "004010", self._isa, [("860", "0001", segs)])])
        self.document(when, "edi", X12, write(ic).encode(), f"860-{self._isa:09d}.edi")

    def _csv_order(self, body: dict[str, Any]) -> None:
        """A field sales order: rows in today's order file of its country."""
        entity = body["legal_entity_id"]
        _, _, _, sep, day_format, _ = SALES_FILES[entity]
        need_by = date.fromisoformat(body["requested_date"]).strftime(day_format)
        rows = [[body["customer_id"], body["po_number"], body["ship_to_id"], ln["product_id"],
                 str(ln["quantity"]).replace(".", sep), ln["uom"], str(ln["unit_price"]).replace(".", sep),
                 need_by] for ln in body["lines"]]
        if self.rng.random() < 0.012:  # a typo the file cannot be read with; fixed in tomorrow's file
            self.csv_later.setdefault(entity, []).extend(rows)
            rows = [list(r) for r in rows]
            rows[0][4] = f"{rows[0][4]} cs"
        self.csv_rows.setdefault(entity, []).extend(rows)

    def _sales_files(self, day: datetime) -> None:
        """Each country's field sales upload the day's order file at half past five."""
        when = day + timedelta(hours=17, minutes=30)
        for entity, rows in sorted(self.csv_rows.items()):
            if not rows:
                continue
            source, header, delimiter, _, _, encoding = SALES_FILES[entity]
            out = io.StringIO(newline="")
            w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
            w.writerow(header)
            w.writerows(rows)
            data = out.getvalue().encode(encoding)
            name = f"orders-{entity}-{day:%Y%m%d}.csv"
            self.document(when, source, CSV_ORDERS, data, name)
            if self.rng.random() < 0.03:  # uploaded twice
                self.document(when + timedelta(minutes=12), source, CSV_ORDERS, data, name)
        self.csv_rows = self.csv_later
        self.csv_later = {}

    def _spoil(self, body: dict[str, Any]) -> None:
        rng = self.rng
        what = rng.choice(("item", "uom", "shipto", "customer", "terms", "po"))
        line = body["lines"][0]
        if what == "item":
            line["product_id"] = line["product_id"].replace("-", "") + "X"
        elif what == "uom":
            line["uom"] = "PL"
        elif what == "shipto":
            body["ship_to_id"] = "ST99"
        elif what == "customer":
            body["customer_id"] = "C" + str(rng.randint(90000, 99999))
        elif what == "terms":
            body["payment_terms"] = "net 90"
        else:
            body["po_number"] = ""

    def _currency(self, entity_id: str) -> str:
        return next(e.currency for e in self.world.entities if e.entity_id == entity_id)

    def _outbound(self, now: datetime) -> None:
        with self.app.store.unit_of_work() as uow:
            pending = uow.outbox.pending(100_000)
            uow.outbox.mark_sent([m.outbox_id for m in pending], now)
            uow.commit()
        for m in pending:
            self.stats.sent[m.kind] = self.stats.sent.get(m.kind, 0) + 1
            if m.kind == "warehouse_release":
                if m.destination != THIRD_PARTY["warehouse_id"]:  # the 3PL works from its 940
                    self._ship(now, m.destination, m.payload)
            elif m.kind == "edi_940":
                self._ship_940(now, m.payload)
            if m.kind in ("edi_855", "edi_856", "edi_810", "edi_940"):
                self._acknowledge(now, m.payload)
            elif m.kind == "invoice":
                self._pay(now, m.destination.removeprefix("customer:"), m.payload)
            elif m.kind == "dunning_notice":
                self._call_after_notice(now, m.payload)

    def _ship(self, now: datetime, wh: str, release: dict[str, Any]) -> None:
        """The warehouse picks and ships a release, and tells o2c in its own dialect;
        then the carrier delivers it (``_carry``)."""
        rng = self.rng
        lo, hi, nightly = WAREHOUSES[wh][2][0], WAREHOUSES[wh][2][1], WAREHOUSES[wh][3]
        shipped = now + timedelta(hours=rng.uniform(lo, hi))
        picked = shipped - timedelta(hours=rng.uniform(0.5, min(2.5, lo)))
        order_id = release["order_id"]
        carrier = rng.choice(CARRIERS)
        pro = f"{rng.randrange(10**9, 10**10)}"
        lines = [(int(ln["line_no"]), ln["product_id"], ln["lot_id"], ln["quantity"])
                 for ln in release["lines"]]
        spoiled = rng.random() < 0.006  # the WMS sends something o2c cannot read, then corrects it
        self.stats.shipments += 1
        source, site = WMS_SITES[wh]
        if nightly:  # WMS "B": a CSV file at 23:30 UTC with the day's picks and shipments, local times
            sid = f"{order_id}-{pro}"
            confirmed = datetime.combine(shipped.date(), time(23, 30), tzinfo=UTC)
            if confirmed < shipped:
                confirmed += timedelta(days=1)
            known = confirmed + timedelta(days=1) if spoiled else confirmed  # when o2c can read it
            zone = ZoneInfo(self._zone(source))
            rows = []
            for status, at in (("P", picked), ("S", shipped)):
                local = at.astimezone(zone)
                for n, pid, lot, qty in lines:
                    rows.append([status, order_id, str(n), pid, "" if lot == "-" else lot,
                                 qty.replace(".", ","), f"{local:%d.%m.%Y}", f"{local:%H:%M}",
                                 carrier if status == "S" else "", pro if status == "S" else "", ""])
            if spoiled:  # a quantity typed as 1O; the corrected rows come in the next night's file
                good = [list(r) for r in rows]
                rows[-1][5] = rows[-1][5].replace("0", "O") if "0" in rows[-1][5] else rows[-1][5] + "O"
                self.collect(confirmed + timedelta(days=1), source, WMS_B, good)
            self.collect(confirmed, source, WMS_B, rows)
        else:  # WMS "A": JSON pushed as it happens, UTC
            sid = f"{site}-{release['event_id'][-10:]}"
            confirmed = shipped
            items = [{"ln": n, "sku": pid, "lot": lot, "qty": qty} for n, pid, lot, qty in lines]
            base = {"wh": site, "ref": order_id}
            pick = {"id": f"{sid}-P", "evt": "PCKD", **base, "ts": _z(picked), "items": items}
            ship = {"id": f"{sid}-S", "evt": "SHPD", **base, "shp": sid, "ts": _z(shipped),
                    "carrier": carrier, "bol": pro, "items": items}
            self._push(picked, source, pick)
            if spoiled:  # a site code the configuration does not know; resent right a few hours later
                self._push(shipped, source, {**ship, "wh": site.lower()})
                shipped = confirmed = shipped + timedelta(hours=rng.uniform(2, 8))
            self._push(shipped, source, ship)
            known = confirmed
        self._carry(wh, sid, order_id, carrier, pro, shipped, confirmed, known)


    def _carry(self, wh: str, sid: str, order_id: str, carrier: str, pro: str, shipped: datetime,
               confirmed: datetime, known: datetime) -> None:
        """The carrier delivers; its proof of delivery reaches billing through the tracking feed,
        or, for the carrier on X12, in a 214 (after one saying it left the warehouse). About 4 %
        of PODs never reach billing. ``confirmed`` is when the warehouse reported the shipment,
        ``known`` when o2c could read it (a day later for a WMS "B" row it could not)."""
        rng = self.rng
        delivered = shipped + timedelta(hours=rng.uniform(18, 96))
        roll = rng.random()
        edi = carrier == X12_CARRIER
        if edi:
            self._status(next_hour(max(shipped, known)), wh, sid, order_id, pro, "AF", shipped)
        if roll < 0.04:
            return  # proof of delivery never reaches billing
        lag = timedelta(0) if roll < 0.75 else timedelta(hours=rng.uniform(24, 120))
        if edi:
            self._status(next_hour(max(delivered, known) + lag), wh, sid, order_id, pro, "D1", delivered)
            return
        arrives = max(delivered, confirmed) + lag
        self.collect(next_hour(arrives), "carrier-feed", CARRIER, {
            "eventId": f"POD-{sid}", "statusCode": "D1", "trackingNumber": pro,
            "shipperReference": {"shipment": sid, "order": order_id},
            "pod": {"signedBy": "RECEIVING", "deliveredAt": delivered.astimezone(_EASTERN).isoformat()}})


    def _zone(self, source: str) -> str:
        """The IANA time zone a WMS "B" site writes its local times in."""
        return next(c.timezone.key for c in self.integrations.wms_b if c.source == source)

    def _push(self, when: datetime, source: str, event: dict[str, Any]) -> None:
        self.document(when, source, WMS_A, json.dumps(event).encode(), "")

    def _batch(self, key: tuple[str, str, datetime]) -> None:
        """A nightly WMS file or an hourly carrier feed goes out with what it collected."""
        source, kind, when = key
        items = self.batches.pop(key)
        if kind in BANK_FILES:  # a bank's file of the business day's payments
            self._bank_file(source, kind, when, items)
            return
        if kind == WMS_B:
            out = io.StringIO(newline="")
            w = csv.writer(out, delimiter=";", lineterminator="\r\n")
            w.writerow(WMS_B_HEADER)
            for rows in items:
                w.writerows(rows)
            self.document(when, source, kind, out.getvalue().encode(), f"{source}-{when:%Y%m%d}.csv")
        elif kind == STATUS_214:  # the X12 carrier's hour of statuses: one interchange, a 214 each
            self._x12(when, CARRIER_PARTNER, "QM", "214", items)
        elif kind == ACK_997:  # a partner's hour of 997s answering what o2c sent
            self._acks(when, source, items)
        else:
            self.document(when, source, kind, json.dumps({"events": items}).encode(), "")

    def _pay(self, now: datetime, customer_id: str, inv: dict[str, Any]) -> None:
        sc = self.customers.get(customer_id)
        if sc is None:
            return
        t, rng = sc.traits, self.rng
        total, discount = Decimal(inv["total"]), Decimal(inv["discount"])
        if inv.get("discount_date") and rng.random() < t.takes_discount:
            pay_day = date.fromisoformat(inv["discount_date"]) - timedelta(days=rng.randint(0, 3))
            amount, taken = total - discount, discount
        else:
            late = rng.gauss(t.pay_delay_days, t.pay_spread_days)
            pay_day = date.fromisoformat(inv["due_date"]) + timedelta(days=round(late))
            amount, taken = total, Decimal(0)
            if rng.random() < t.short_pay:
                amount = (total * Decimal("0.9")).quantize(Decimal("0.01"))
        when = max(now + timedelta(hours=2), datetime.combine(pay_day, time(10), tzinfo=UTC))
        self.stats.payments += 1
        if t.channel == "edi":  # through its bank, with an 820 for all it pays in that run
            key = (customer_id, when)
            if key not in self.remittances:
                self.remittances[key] = []
                self.at(when, "remit", key)
            self.remittances[key].append((inv, amount, taken))
            return
        self._bank_pay(when, sc, inv, amount, taken)  # by check, ACH, wire or transfer: a bank file


    def _review(self, now: datetime) -> None:
        """The back office works its queues in business hours."""
        with self.app.store.unit_of_work() as uow:
            held = [uow.orders.get(oid) for oid in uow.orders.held(5000)]
        for order in held:
            if order is None:
                continue
            for hold in order.open_holds[:1]:  # one hold at a time: the next after this one
                if hold.hold_id in self.reviewing:
                    self._take_up(now, order.order_id, hold)
                    continue
                rule = PEOPLE.get(hold.code)
                if rule is None:
                    if hold.code is HoldCode.INV_SHORT and now - hold.placed_at > BACKORDER_PATIENCE:
                        self._decide(now, order.order_id, hold.hold_id, hold.code, "reject",
                                     "sales_ops", "customer cancelled the backorder")
                    continue
                action, p, lo, hi = rule
                if self.rng.random() > p:
                    action = "reject"
                # The person in the policy's tier for this hold decides it (an over-limit of
                # 50,000 goes to the credit manager, not the analyst).
                section = self.app.policies.in_force(now).for_entity(order.legal_entity_id)
                role = tier(section, hold.code, hold.amount, order.legal_entity_id).role.value
                self._decide(now + timedelta(hours=self.rng.uniform(lo, hi)), order.order_id,
                             hold.hold_id, hold.code, action, role, f"reviewed by {role}")
        if self.miscounts:
            self._recounts(now)
        self._work_disputes(now)

    def _work_disputes(self, now: datetime) -> None:
        """The person each open dispute case waits on sets out to settle it
        (:mod:`o2c.sim.dispute_desk`)."""
        with self.app.store.unit_of_work() as uow:
            cases = [d for k in uow.disputes.open(5000) if k not in self.settling
                     and (d := uow.disputes.get(k)) is not None]
            open_on = {d.dispute_id: inv.open_amount for d in cases
                       if d.invoice_id and (inv := uow.invoices.get(d.invoice_id)) is not None}
        for d in cases:
            self.settling.add(d.dispute_id)
            section = self.app.policies.in_force(now).for_entity(d.legal_entity_id)
            limit = section.disputes.write_off_limit([d.waits_on], d.currency)
            for step in settle(d, open_on.get(d.dispute_id), limit, self.dispute_rng, now):
                self.message(step.when, "ui", step.msg_id, step.kind, step.body, actor=step.actor)

    def _take_up(self, now: datetime, order_id: str, hold: Hold) -> None:
        """Whom a hold was escalated to takes it up within a few business hours, whoever
        decides first: the other's decision finds it closed and is not sent."""
        role = hold.escalated_to
        rule = PEOPLE.get(hold.code)
        if role is None or rule is None or (hold.hold_id, role.value) in self.taken_up:
            return
        self.taken_up.add((hold.hold_id, role.value))
        self._decide(now + timedelta(hours=self.rng.uniform(0.5, 4)), order_id, hold.hold_id, hold.code,
                     rule[0], role.value, f"taken up by {role.value} after escalation", again=role.value)

    def _case_open(self, body: str) -> bool:
        with self.app.store.unit_of_work() as uow:
            case = uow.disputes.get(json.loads(body)["dispute_id"])
        return case is not None and case.is_open

    def _still_open(self, decision: dict[str, Any]) -> bool:
        with self.app.store.unit_of_work() as uow:
            order = uow.orders.get(decision["order_id"])
        return order is not None and any(h.code.value == decision["code"] for h in order.open_holds)

    def _call_after_notice(self, now: datetime, notice: dict[str, Any]) -> None:
        """Collections calls a customer sent a second notice; about a third promise to pay the
        invoice's undisputed rest within a week (whether they do is their payment behaviour's
        to say: the promise is kept or broken by the cash that comes)."""
        if notice.get("step") != "second" or self.rng.random() >= 0.35:
            return
        self.stats.promises += 1
        person = demo_actor(Role.COLLECTIONS)
        self.message(now, "ui", f"promise-{notice['invoice_id']}", "promise_to_pay",
                     {"customer_id": notice["customer_id"], "amount": notice["amount"],
                      "promised_date": (now.date() + timedelta(days=7)).isoformat(),
                      "invoice_ids": [notice["invoice_id"]], "note": "called after the second notice"},
                     actor=person)

    def _decide(self, when: datetime, order_id: str, hold_id: str, code: HoldCode, action: str,
                role: str, reason: str, again: str = "") -> None:
        self.reviewing.add(hold_id)
        self.stats.decisions += 1
        person = demo_actor(Role(role))
        self.message(when, "ui", f"decision-{hold_id}" + (f"/{again}" if again else ""), "hold_decision",
                     {"order_id": order_id, "code": code.value, "by": person.id,
                      "reason": reason, "action": action}, actor=person)

    def _replenish(self, now: datetime) -> None:
        with self.app.store.unit_of_work() as uow:
            positions = uow.stock.positions(self.product_ids)
            short = set()
            for pid in self.product_ids:
                if uow.orders.backordered(pid):
                    short.add(pid)
        atp: dict[tuple[str, str], Decimal] = {}
        for p in positions:
            atp[(p.warehouse_id, p.product_id)] = atp.get((p.warehouse_id, p.product_id), Decimal(0)) + p.atp
        for wh in WAREHOUSES:
            for pid in self.product_ids:
                key = (wh, pid)
                if key in self.replenishing:
                    continue
                if atp.get(key, Decimal(0)) < 150 or (pid in short and self.rng.random() < 0.5):
                    self.replenishing.add(key)
                    self.at(now + timedelta(days=self.rng.randint(2, 6)), "receive", key)

    def _erp_changes(self, when: datetime, week: int) -> None:
        """The ERP's weekly changes, sent while orders run as the delta files an ERP exports: a
        few raised credit limits (a held order of theirs is looked at again) and a few contract
        prices renegotiated by up to 1.5 % (a new version of the agreement; orders priced before
        keep the version they were priced by)."""
        rng = self.master_rng
        open_accounts = [c.customer for c in self.world.customers if not c.customer.blocked]
        raised = []
        for c in rng.sample(open_accounts, k=min(3, len(open_accounts))):
            c = self.customers[c.customer_id].customer
            limit = (c.credit_limit.amount * Decimal("1.25") / 1000).quantize(Decimal(1)) * 1000
            new = replace(c, credit_limit=Money(limit, c.credit_limit.currency))
            self.customers[c.customer_id] = replace(self.customers[c.customer_id], customer=new)
            raised.append(new)
        repriced = []
        for aid in rng.sample(sorted(self.agreements), k=min(5, len(self.agreements))):
            a = self.agreements[aid]
            cut = Decimal(rng.randint(5, 15)) / 1000
            new_a = replace(a, price=Money((a.price.amount * (1 - cut)).quantize(Decimal("0.01")),
                                           a.price.currency))
            self.agreements[aid] = new_a
            self.agreed[a.customer_id] = [(p, new_a.price.amount if p == a.product_id else price)
                                          for p, price in self.agreed.get(a.customer_id, [])]
            repriced.append(new_a)
        for kind, records in (("customers", raised), ("price_agreements", repriced)):
            raw = master_document(export_csv(kind, records), kind, source="erp",
                                  file_name=f"{kind}-week{week:03d}.csv", received_at=when)
            head, outs = self.app.runtime.submit_document(raw, self.splitters[raw.kind])
            self.stats.documents += 1
            self.stats.master_changes += sum(o.status is Status.APPLIED for o in outs)
            self.stats.dead_lettered += sum(o.status not in (Status.APPLIED, Status.DUPLICATE)
                                            for o in (head, *outs))

    # ------------------------------------------------------------ the loop

    def run(self, days: int, progress: Callable[[int, SimStats], None] | None = None) -> SimStats:
        """Simulate ``days`` days; ``progress(day, stats)`` is called as each day starts."""
        end = self.start + timedelta(days=days)
        while self.heap and self.heap[0][0] < end:
            first = self.heap[0][0]
            tick_end = min(end, first - (first - self.start) % TICK + TICK)
            batch: list[InboundMessage] = []
            deciding: set[str] = set()  # holds a decision in this batch is about
            while self.heap and self.heap[0][0] < tick_end:
                when, _, kind, data = heapq.heappop(self.heap)
                if kind == "msg":
                    source, msg_id, mkind, body, actor = data
                    if mkind in ("dispute_evidence", "dispute_resolution") and not self._case_open(body):
                        continue  # settled meanwhile
                    if mkind == "hold_decision":
                        hold_id = msg_id.removeprefix("decision-").split("/")[0]
                        self.reviewing.discard(hold_id)
                        if hold_id in deciding or not self._still_open(json.loads(body)):
                            continue  # decided meanwhile (by another, or by o2c as exposure fell)
                        deciding.add(hold_id)
                    batch.append(InboundMessage(source=source, source_message_id=msg_id,
                                                kind=mkind, received_at=when, body=body, actor=actor))
                elif kind == "doc":
                    source, dkind, payload, name = data
                    batch.append(raw_document(payload, source=source, kind=dkind, received_at=when,
                                              name=name))
                elif kind == "batch":
                    self._batch(data)
                elif kind == "remit":
                    self._remit(data)
                elif kind == "day":
                    if progress and data:
                        progress(data, self.stats)
                    self._day(data)
                elif kind == "review":
                    self._flush(batch)
                    batch = []
                    self._review(when)
                elif kind == "erp_changes":
                    self._flush(batch)
                    batch = []
                    self._erp_changes(when, data)
                elif kind == "recount":
                    self._flush(batch)
                    batch = []
                    self._recount(when, data)
                elif kind == "945":
                    self._confirm_945(when, data)
                elif kind == "count":
                    self._count(when)
                elif kind == "replenish":
                    self._replenish(when)
                elif kind == "receive":
                    self.replenishing.discard(data)
                    self._receipt(when, data[0], data[1], Decimal(self.rng.randint(40, 90)) * 10)
            self._flush(batch)
        self._fire_timers(end)
        self._outbound(self.clock.now())
        self.stats.days = days
        if progress:
            progress(days, self.stats)
        return self.stats

    def _fire_timers(self, until: datetime) -> None:
        """Fire the durable timers due before ``until``, each at its due time on the simulated
        clock (one due while the clock is already past it fires at once)."""
        while (due := self.timers.next_due()) is not None and due < until:
            if due > self.clock.now():
                self.clock.set(due)
            self.stats.timers += self.timers.fire_due(self.clock.now())

    def _flush(self, batch: list[InboundMessage]) -> None:
        """Apply a tick's messages (in time order, as the heap gives them), each timer due
        among them fired at its due time: the messages before it are applied first."""
        if not batch:
            return
        rest = sorted(batch, key=lambda m: m.received_at)  # stable: already so, as the heap gives them
        while rest:
            due = self.timers.next_due()
            if due is None or due > rest[-1].received_at:
                self._apply(rest)
                break
            cut = bisect.bisect_left([m.received_at for m in rest], due)
            if cut:
                self._apply(rest[:cut])
                rest = rest[cut:]
            self._fire_timers(due + timedelta(microseconds=1))
        self._outbound(self.clock.now())

    def _apply(self, batch: list[InboundMessage]) -> None:
        latest = max(m.received_at for m in batch)
        if latest > self.clock.now():
            self.clock.set(latest)
        docs = [m for m in batch if m.kind in self.splitters]
        batch = [m for m in batch if m.kind not in self.splitters]
        results = []
        for i in range(0, len(batch), 2000):
            results += self.app.runtime.submit(batch[i:i + 2000])
        for doc in docs:  # each file is kept whole, then split and applied
            self.stats.documents += 1
            head, outs = self.app.runtime.submit_document(doc, self.splitters[doc.kind])
            results += [head] if head.status is not Status.APPLIED else []
            results += outs
        for out in results:
            self.stats.messages += 1
            if out.status is Status.APPLIED:
                self.stats.applied += 1
            elif out.status is Status.DUPLICATE:
                self.stats.duplicates += 1
            else:
                self.stats.dead_lettered += 1

