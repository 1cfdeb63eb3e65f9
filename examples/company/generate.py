"""Write the example company's master data files (and an order file) in o2c's default layouts.

Lakeshore Provisions sells foodservice and janitorial supplies from two legal entities
(USD in the US, CAD in Canada) and three warehouses to 50 accounts (restaurants, hotels,
schools, clinics; some in groups), 300 items. Run it from anywhere; it rewrites the files
next to it, the same every time (a fixed seed, the standard library only):

    python examples/company/generate.py

then load them into an empty database with ``o2c init --from examples/company --db URL``
(the files are named after their kind; see docs/master-data.md for every column) and take
the orders in ``orders/orders.csv`` with
``o2c ingest examples/company/orders/orders.csv --kind csv --config examples/company/integrations.yaml``.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260105
CENT = Decimal("0.01")
YEAR = date(2026, 1, 1)  # agreements start on it; most are open-ended

ENTITIES = [
    {"entity_id": "US01", "name": "Lakeshore Provisions Inc.", "currency": "USD",
     "tax_jurisdiction": "US-IL", "tax_rate": "0.0625", "invoice_prefix": "LPUS",
     "timezone": "America/Chicago"},
    {"entity_id": "CA01", "name": "Lakeshore Provisions Canada Ltd.", "currency": "CAD",
     "tax_jurisdiction": "CA-ON", "tax_rate": "0.13", "invoice_prefix": "LPCA",
     "timezone": "America/Toronto"},
]
WAREHOUSES = [
    {"warehouse_id": "WH-CHI", "legal_entity_id": "US01", "name": "Chicago DC", "region": "IL",
     "timezone": "America/Chicago"},
    {"warehouse_id": "WH-ATL", "legal_entity_id": "US01", "name": "Atlanta DC", "region": "GA",
     "timezone": "America/New_York"},
    {"warehouse_id": "WH-TOR", "legal_entity_id": "CA01", "name": "Toronto DC", "region": "ON",
     "timezone": "America/Toronto"},
]
#: code, what it is, base unit, other units, USD list price range per base unit, lot controlled
CATEGORIES = [
    ("CUP", "Paper hot cups 12 oz, sleeve of 50", "PK", "CS=20", (3, 6), False),
    ("NAP", "Dinner napkins, pack of 250", "PK", "CS=12", (2, 5), False),
    ("GLV", "Nitrile gloves, box of 100", "BX", "CS=10", (6, 14), False),
    ("CLN", "All-purpose cleaner 1 gal", "EA", "CS=4", (8, 18), True),
    ("SAN", "Hand sanitizer 1 L", "EA", "CS=12;PL=720", (5, 11), True),
    ("COF", "Ground coffee 2 lb", "EA", "CS=6", (12, 24), True),
    ("TWL", "Paper towel roll", "RL", "CS=12;PL=600", (2, 4), False),
    ("LIN", "Trash can liners, box of 250", "BX", "CS=4", (18, 40), False),
    ("FOI", "Aluminum foil roll 18 in", "RL", "CS=6", (15, 30), False),
    ("SUG", "Sugar packets, box of 1000", "BX", "CS=6", (9, 16), True),
]
STYLES = ("white", "natural", "premium", "economy", "eco", "heavy duty")
CITIES = {
    "US01": [("Chicago", "IL", "60601"), ("Evanston", "IL", "60201"), ("Milwaukee", "WI", "53202"),
             ("Indianapolis", "IN", "46204"), ("Atlanta", "GA", "30303"), ("Savannah", "GA", "31401"),
             ("Nashville", "TN", "37203"), ("Charlotte", "NC", "28202")],
    "CA01": [("Toronto", "ON", "M5H 2N2"), ("Mississauga", "ON", "L5B 3C2"), ("Ottawa", "ON", "K1P 1J1"),
             ("Hamilton", "ON", "L8P 4R5")],
}
#: the county of each city, where a county's sales tax applies
COUNTIES = {"Chicago": "Cook", "Evanston": "Cook", "Milwaukee": "Milwaukee", "Indianapolis": "Marion",
            "Atlanta": "Fulton", "Savannah": "Chatham", "Nashville": "Davidson", "Charlotte": "Mecklenburg"}
#: rate id, country, region, county, city, name, rate: the states' and provinces' sales taxes
#: with a county's or city's on top, Canada's GST/HST and provincial PST/QST
TAX_RATES = [
    ("CA-AB-GST", "CA", "AB", "", "", "GST", "0.05"),
    ("CA-BC-GST", "CA", "BC", "", "", "GST", "0.05"),
    ("CA-BC-PST", "CA", "BC", "", "", "PST", "0.07"),
    ("CA-NS-HST", "CA", "NS", "", "", "HST", "0.15"),
    ("CA-ON-HST", "CA", "ON", "", "", "HST", "0.13"),
    ("CA-QC-GST", "CA", "QC", "", "", "GST", "0.05"),
    ("CA-QC-QST", "CA", "QC", "", "", "QST", "0.09975"),
    ("US-GA", "US", "GA", "", "", "state", "0.04"),
    ("US-GA-CHATHAM", "US", "GA", "Chatham", "", "county", "0.03"),
    ("US-GA-FULTON", "US", "GA", "Fulton", "", "county", "0.03"),
    ("US-GA-ATLANTA", "US", "GA", "", "Atlanta", "city", "0.019"),
    ("US-IL", "US", "IL", "", "", "state", "0.0625"),
    ("US-IL-COOK", "US", "IL", "Cook", "", "county", "0.0175"),
    ("US-IL-CHICAGO", "US", "IL", "", "Chicago", "city", "0.0125"),
    ("US-IL-EVANSTON", "US", "IL", "", "Evanston", "city", "0.01"),
    ("US-IN", "US", "IN", "", "", "state", "0.07"),
    ("US-NC", "US", "NC", "", "", "state", "0.0475"),
    ("US-NC-MECKLENBURG", "US", "NC", "Mecklenburg", "", "county", "0.025"),
    ("US-TN", "US", "TN", "", "", "state", "0.07"),
    ("US-TN-DAVIDSON", "US", "TN", "Davidson", "", "county", "0.0225"),
    ("US-WI", "US", "WI", "", "", "state", "0.05"),
    ("US-WI-MILWAUKEE", "US", "WI", "Milwaukee", "", "county", "0.009"),
    ("US-WI-MILWAUKEE-CITY", "US", "WI", "", "Milwaukee", "city", "0.02"),
]
#: product categories never taxed (food staples)
EXEMPT = {"SUG"}
SOUTH = {"GA", "TN", "NC"}  # US accounts there ship from Atlanta first, the others from Chicago
KINDS = ("Bistro", "Grill", "Hotel", "Academy", "Clinic", "Cafe", "Diner", "Catering")
NAMES = ("Harbor", "Maple", "Prairie", "Union", "Cedar", "Lakeview", "Riverside", "Summit",
         "Granite", "Willow", "Beacon", "Orchard")
DOCKS = ("Main kitchen", "Loading dock", "Banquet hall")
TERMS = ("net 30", "net 30", "2/10 net 30", "net 45", "1/10 net 30")
#: (entity, head account index, member indexes): health systems and chains buying together
GROUPS = [("US01", 0, (1, 2)), ("US01", 10, (11, 12, 13)), ("US01", 20, (21, 22)), ("CA01", 0, (1, 2))]


def money(d: Decimal) -> str:
    return str(d.quantize(CENT, ROUND_HALF_UP))


def gtin(n: int) -> str:
    """A 14-digit GTIN with its check digit."""
    body = f"0061414{n:06d}"
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def products(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for i in range(300):
        code, what, uom, units, (lo, hi), lots = CATEGORIES[i % len(CATEGORIES)]
        usd = Decimal(rng.randint(lo * 100, hi * 100)) / 100
        cad = (usd * Decimal("1.37")).quantize(CENT)
        out.append({"product_id": f"{code}-{1001 + i // len(CATEGORIES)}",
                    "description": f"{what}, {STYLES[(i // len(CATEGORIES)) % len(STYLES)]}",
                    "base_uom": uom, "units": units, "lot_controlled": "yes" if lots else "no",
                    "gtin": gtin(i + 1), "prices": {"USD": usd, "CAD": cad},
                    "tax_class": "exempt" if code in EXEMPT else "standard"})
    return out


def customers(rng: random.Random) -> list[dict[str, object]]:
    """50 accounts: every fourth Canadian; group heads before their members."""
    by_entity: dict[str, list[dict[str, object]]] = {"US01": [], "CA01": []}
    for i in range(50):
        entity = "CA01" if i % 4 == 3 else "US01"
        cities = rng.sample(CITIES[entity], k=rng.choice((1, 1, 1, 2, 3)))
        home = ("WH-TOR" if entity == "CA01" else "WH-ATL" if cities[0][1] in SOUTH else "WH-CHI")
        trigger = rng.choices(("on_ship", "on_pod", "consolidated"), weights=(7, 2, 1))[0]
        by_entity[entity].append({
            "legal_entity_id": entity,
            "name": f"{rng.choice(NAMES)} {rng.choice(KINDS)}",
            "parent_id": "", "payment_terms": rng.choice(TERMS),
            "credit_limit": Decimal(rng.choice((10, 15, 25, 40, 60, 100))) * 1000,
            "currency": "USD" if entity == "US01" else "CAD",
            "billing_trigger": trigger, "accepts_partial": rng.choice(("yes", "no")),
            "home_warehouse_id": home, "blocked": "no",
            "edi_id": f"LP{7000 + i}" if rng.random() < 0.25 else "",
            "ship_tos": [(f"ST{j + 1}", DOCKS[j], *c) for j, c in enumerate(cities)],
        })
    ordered: list[dict[str, object]] = []
    for entity in ("US01", "CA01"):
        accounts = by_entity[entity]
        for ent, head, members in GROUPS:
            if ent != entity:
                continue
            accounts[head]["name"] = f"{accounts[head]['name']} Group"
            accounts[head]["credit_limit"] = Decimal(250000)
            accounts[head]["payment_terms"] = "net 30"
            for m in members:
                accounts[m]["parent"] = head
        ordered += accounts
    ordered[-1]["blocked"] = "yes"  # one account on stop, for the credit hold it gets
    ids = {id(c): f"C{2001 + n}" for n, c in enumerate(ordered)}
    for c in ordered:
        c["customer_id"] = ids[id(c)]
    for entity in ("US01", "CA01"):
        for c in by_entity[entity]:
            if "parent" in c:
                c["parent_id"] = by_entity[entity][int(str(c.pop("parent")))]["customer_id"]
    # resellers' exemption certificates for their first ship-to's state or province: one
    # valid through next year, one that expired at the end of 2025 (that account is taxed)
    for c, expires in ((ordered[4], "2027-12-31"), (ordered[7], "2025-12-31")):
        _, _, _, region, _ = c["ship_tos"][0]  # type: ignore[index]
        country = "US" if c["legal_entity_id"] == "US01" else "CA"
        c["tax_exemptions"] = f"EX-{c['customer_id']}={country}-{region}:{expires}"
    # a group's members come after their head: within an entity heads have the lower index
    return ordered


def agreements(rng: random.Random, custs: list[dict[str, object]],
               prods: list[dict[str, str]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    by_id = {p["product_id"]: p for p in prods}

    def agreement(aid: str, cust: dict[str, object], pid: str, *, group: bool = False,
                  start: date = YEAR, end: date | None = None, off: tuple[int, int] = (82, 95),
                  brk: bool = False) -> None:
        cur = str(cust["currency"])
        listed = by_id[pid]["prices"][cur]  # type: ignore[index]
        price = (listed * Decimal(rng.randint(*off)) / 100).quantize(CENT)
        factor = Decimal(str(by_id[pid]["units"]).split(";")[0].split("=")[1])
        breaks = [(factor * 10, (price * Decimal("0.95")).quantize(CENT))] if brk else []
        if brk and rng.random() < 0.5:
            breaks.append((factor * 50, (price * Decimal("0.90")).quantize(CENT)))
        out.append({"agreement_id": aid, "customer_id": cust["customer_id"], "group": group,
                    "product_id": pid, "currency": cur, "price": price, "valid_from": start,
                    "valid_to": end, "breaks": breaks})

    ids = sorted(by_id)
    heads = {c["parent_id"] for c in custs if c["parent_id"]}
    for c in custs:
        cid = str(c["customer_id"])
        if c["parent_id"]:
            continue  # members buy on their group's price list
        if cid in heads:  # the group price list, filed under the head account
            for n, pid in enumerate(sorted(rng.sample(ids, k=12)), start=1):
                agreement(f"GPL-{cid}-{n:02d}", c, pid, group=True, off=(80, 90), brk=n % 3 == 1)
            continue
        if rng.random() < 0.25:
            continue  # pays list prices
        for n, pid in enumerate(sorted(rng.sample(ids, k=rng.randint(4, 8))), start=1):
            if n == 2:  # renegotiated mid-year: the first half's price, then the new one
                agreement(f"PA-{cid}-{n:02d}", c, pid, end=date(2026, 6, 30), off=(90, 96))
                agreement(f"PA-{cid}-{n:02d}B", c, pid, start=date(2026, 7, 1))
            else:
                agreement(f"PA-{cid}-{n:02d}", c, pid, brk=n % 4 == 1)
    return out


def stock(rng: random.Random, prods: list[dict[str, str]]) -> list[dict[str, str]]:
    """Opening balances: every item in every warehouse; lot-controlled ones in one or two
    lots with their expiry; some counted in cases."""
    rows = []
    for w in WAREHOUSES:
        for i, p in enumerate(prods):
            case = Decimal(p["units"].split(";")[0].split("=")[1])
            lots = rng.randint(1, 2) if p["lot_controlled"] == "yes" else 0
            for n in range(max(lots, 1)):
                cases = rng.randint(20, 120) if w["warehouse_id"] != "WH-TOR" else rng.randint(8, 40)
                in_cases = i % 3 == 0
                expiry = date(2027, 3, 1) + timedelta(days=rng.randint(0, 540)) if lots else None
                rows.append({"warehouse_id": w["warehouse_id"], "product_id": p["product_id"],
                             "lot_id": f"L{w['warehouse_id'][-3:]}{i:03d}{n + 1}" if lots else "",
                             "expiry": expiry.isoformat() if expiry else "",
                             "quantity": str(cases if in_cases else cases * case),
                             "uom": "CS" if in_cases else ""})
    return rows


def write(name: str, header: list[str], rows: list[dict[str, object]]) -> None:
    path = HERE / name
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def orders(custs: list[dict[str, object]], pas: list[dict[str, object]],
           prods: list[dict[str, str]]) -> list[dict[str, object]]:
    """A sales team's file for the US entity: an order priced by the account's own contract
    (one line over a quantity break), one by its group's price list, one at list price."""
    us = [c for c in custs if c["legal_entity_id"] == "US01" and c["blocked"] == "no"]
    by_cust: dict[str, list[dict[str, object]]] = {}
    for a in pas:
        if a["valid_to"] is None and a["valid_from"] == YEAR:
            by_cust.setdefault(str(a["customer_id"]), []).append(a)
    own = next(c for c in us if not c["parent_id"] and any(
        a["breaks"] and not a["group"] for a in by_cust.get(str(c["customer_id"]), [])))
    member = next(c for c in us if c["parent_id"])
    plain = next(c for c in us if not c["parent_id"] and str(c["customer_id"]) not in by_cust)
    rows: list[dict[str, object]] = []

    def line(c: dict[str, object], po: str, pid: str, qty: int, uom: str) -> None:
        rows.append({"Account": c["customer_id"], "PO Number": po, "Ship To": c["ship_tos"][0][0],  # type: ignore[index]
                     "Item": pid, "Qty": qty, "UoM": uom})

    mine = by_cust[str(own["customer_id"])]
    with_break = next(a for a in mine if a["breaks"])
    line(own, "PO-10001", str(with_break["product_id"]), 12, "CS")  # 12 cases: over the break
    other = next(a for a in mine if a is not with_break)
    line(own, "PO-10001", str(other["product_id"]), 2, "CS")
    listed = by_cust[str(member["parent_id"])]
    line(member, "PO-20417", str(listed[0]["product_id"]), 3, "CS")
    second = str(listed[1]["product_id"])
    line(member, "PO-20417", second, 24, next(p["base_uom"] for p in prods if p["product_id"] == second))
    line(plain, "PO-30988", prods[7]["product_id"], 1, "CS")
    return rows


def main() -> None:
    rng = random.Random(SEED)
    prods = products(rng)
    custs = customers(rng)
    pas = agreements(rng, custs, prods)
    write("legal_entities.csv", list(ENTITIES[0]), ENTITIES)  # type: ignore[arg-type]
    write("warehouses.csv", list(WAREHOUSES[0]), WAREHOUSES)  # type: ignore[arg-type]
    write("products.csv", ["product_id", "description", "base_uom", "units", "lot_controlled", "gtin",
                           "currency", "list_price", "floor_price", "tax_class"],
          [{**{k: v for k, v in p.items() if k != "prices"}, "currency": cur, "list_price": money(price),
            "floor_price": money(price * Decimal("0.70"))}
           for p in prods for cur, price in p["prices"].items()])  # type: ignore[attr-defined]
    write("customers.csv", ["customer_id", "legal_entity_id", "name", "parent_id", "payment_terms",
                            "credit_limit", "currency", "billing_trigger", "accepts_partial",
                            "home_warehouse_id", "blocked", "edi_id", "tax_exemptions", "ship_to_id",
                            "ship_to_name", "city", "region", "postal_code", "country", "county"],
          [{**{k: v for k, v in c.items() if k != "ship_tos"}, "credit_limit": money(c["credit_limit"]),  # type: ignore[arg-type]
            "tax_exemptions": c.get("tax_exemptions", ""),
            "ship_to_id": sid, "ship_to_name": dock, "city": city, "region": region,
            "postal_code": postal, "country": "US" if c["legal_entity_id"] == "US01" else "CA",
            "county": COUNTIES.get(city, "")}
           for c in custs for sid, dock, city, region, postal in c["ship_tos"]])  # type: ignore[attr-defined]
    write("price_agreements.csv", ["agreement_id", "customer_id", "group", "product_id", "currency",
                                   "price", "valid_from", "valid_to", "min_quantity", "break_price"],
          [{"agreement_id": a["agreement_id"], "customer_id": a["customer_id"],
            "group": "yes" if a["group"] else "no", "product_id": a["product_id"],
            "currency": a["currency"], "price": a["price"], "valid_from": a["valid_from"],
            "valid_to": a["valid_to"] or "", "min_quantity": qty, "break_price": at}
           for a in pas for qty, at in (a["breaks"] or [("", "")])])  # type: ignore[attr-defined]
    write("tax_rates.csv", ["rate_id", "country", "region", "county", "city", "tax_class", "name", "rate",
                            "valid_from", "valid_to"],
          [{"rate_id": rid, "country": country, "region": region, "county": county, "city": city,
            "tax_class": "standard", "name": name, "rate": rate, "valid_from": "2020-01-01", "valid_to": ""}
           for rid, country, region, county, city, name, rate in TAX_RATES])
    write("stock.csv", ["warehouse_id", "product_id", "lot_id", "expiry", "quantity", "uom"],
          stock(rng, prods))  # type: ignore[arg-type]
    write("orders/orders.csv", ["Account", "PO Number", "Ship To", "Item", "Qty", "UoM"],
          orders(custs, pas, prods))


if __name__ == "__main__":
    main()
