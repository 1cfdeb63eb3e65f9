"""Reading master data files: one record per customer (its rows are its ship-tos) or product
(its rows are its prices), and every problem named by file, row, column and what is expected."""

from __future__ import annotations

from o2c.adapters.master_files import read_master_file

HEAD = ("customer_id,legal_entity_id,name,parent_id,payment_terms,credit_limit,currency,"
        "billing_trigger,accepts_partial,home_warehouse_id,ship_to_id,city,country\n")
GOOD = "K1,US,Kettering,,net 30,25000,USD,on_ship,yes,W1,K1-A,Kettering,US\n"


def errors(text: str, kind: str = "customers", name: str = "c.csv") -> list[str]:
    return [str(e) for e in read_master_file(text, kind, file_name=name).errors]


def test_a_good_customer_with_two_ship_tos_is_one_record() -> None:
    read = read_master_file(HEAD + GOOD + "K1,,,,,,,,,,K1-B,Dayton,US\n", "customers", file_name="c.csv")
    assert read.errors == [] and read.records == 1
    [(mid, body)] = read.messages
    assert mid.startswith("c.csv:K1:")
    assert [s["ship_to_id"] for s in body["ship_tos"]] == ["K1-A", "K1-B"]
    assert body["accepts_partial"] is True and body["payment_terms"] == "net 30"


def test_the_message_id_changes_with_the_record_and_only_with_it() -> None:
    def mid(text: str) -> str:
        return read_master_file(HEAD + text, "customers", file_name="c.csv").messages[0][0]

    assert mid(GOOD) == mid(GOOD)
    assert mid(GOOD) != mid(GOOD.replace("25000", "30000"))


def test_each_mistake_is_named_by_file_row_and_column() -> None:
    text = HEAD + (
        "K1,US,Kettering,,net thirty,25000,USD,on_ship,yes,W1,K1-A,Kettering,US\n"
        "K2,US,Two,,net 30,lots,usd,weekly,perhaps,W1,K2-A,Dayton,USA\n"
        "K3,US,Three,,net 30,100,USD,,,W1,K3-A,Dayton,US\n"
        "K3,US,Other name,,,,,,,,K3-A,Dayton,US\n"
        "K4,US,Four,,net 30,100,USD,,,W1,,Dayton,US\n"
        "K5,US,Five,,net 30,-5,USD,,,W1,K5-A,Dayton,US\n"
    )
    assert errors(text) == [
        "c.csv, row 2, column payment_terms: expected terms such as '2/10 net 30' or 'net 30', "
        "got 'net thirty'",
        "c.csv, row 3, column credit_limit: expected an amount such as 50000.00, not below zero, got 'lots'",
        "c.csv, row 3, column currency: expected the credit limit's currency, three capital letters "
        "such as USD, got 'usd'",
        "c.csv, row 3, column billing_trigger: expected on_ship, on_pod or consolidated (default "
        "on_ship), got 'weekly'",
        "c.csv, row 3, column accepts_partial: expected yes or no, got 'perhaps'",
        "c.csv, row 3, column country: expected two capital letters such as US (default US), got 'USA'",
        "c.csv, row 5, column name: expected the same value as row 4 ('Three') or nothing, "
        "got 'Other name'",
        "c.csv, row 5, column ship_to_id: expected a ship-to not given before (row 4 gives K3-A), "
        "got 'K3-A'",
        "c.csv, row 6, column ship_to_id: expected a value: a ship-to id",
        "c.csv, row 7, column credit_limit: expected an amount such as 50000.00, not below zero, got '-5'",
    ]


def test_rows_of_a_bad_record_are_held_back_and_the_others_go_through() -> None:
    read = read_master_file(HEAD + GOOD + GOOD.replace("K1", "K2").replace("25000", "x"),
                            "customers", file_name="c.csv")
    assert next(m for m, _ in read.messages).startswith("c.csv:K1:")
    [(mid, _, errs)] = read.rejects
    assert mid.startswith("c.csv:K2:") and "column credit_limit" in str(errs[0])


def test_missing_and_unknown_columns_refuse_the_file() -> None:
    assert errors("customer_id,name,colour\nK1,X,red\n") == [
        "c.csv, row 1, column legal_entity_id: expected a column named legal_entity_id (the legal "
        "entity that sells to it)",
        "c.csv, row 1, column payment_terms: expected a column named payment_terms (terms such as "
        "'2/10 net 30' or 'net 30')",
        "c.csv, row 1, column credit_limit: expected a column named credit_limit (an amount such as "
        "50000.00)",
        "c.csv, row 1, column currency: expected a column named currency (the credit limit's "
        "currency, three capital letters such as USD)",
        "c.csv, row 1, column home_warehouse_id: expected a column named home_warehouse_id (the "
        "warehouse it ships from first)",
        "c.csv, row 1, column ship_to_id: expected a column named ship_to_id (a ship-to id)",
        "c.csv, row 1, column colour: expected one of the columns customer_id, legal_entity_id, "
        "name, parent_id, payment_terms, credit_limit, currency, billing_trigger, accepts_partial, "
        "home_warehouse_id, blocked, edi_id, tax_exemptions, ship_to_id, ship_to_name, city, region, "
        "postal_code, country, county, got 'colour'",
    ]


def test_product_mistakes() -> None:
    head = "product_id,description,base_uom,units,currency,list_price,floor_price\n"
    text = head + (
        "P1,Gloves,EA,CS=12;PL=,USD,2.50,\n"
        "P2,Gowns,E A,,USD,1,\n"
        "P3,Caps,EA,,,1.10,0.50\n"
        "P4,Masks,EA,,USD,1,\n"
        "P4,,,,USD,2,\n"
    )
    assert errors(text, "products", "p.csv") == [
        "p.csv, row 2, column units: expected a number of EA units above zero for PL (such as "
        "PL=12), got 'PL='",
        "p.csv, row 3, column base_uom: expected a unit of 1 to 10 letters or digits such as EA, got 'E A'",
        "p.csv, row 4, column currency: expected the currency of the price in list_price and "
        "floor_price, three capital letters such as USD (a price needs its currency)",
        "p.csv, row 6, column currency: expected a currency not priced before (row 5 prices USD), got 'USD'",
    ]


def test_json_lines_are_checked_against_the_canonical_model() -> None:
    text = ('{"product_id": "P1", "description": "Gloves", "base_uom": "EA"}\n'
            '{"product_id": "P2", "description": "Gowns", "base_uom": "EA", "units": '
            '[{"uom": "CS", "factor": "-1"}]}\nnot json\n')
    read = read_master_file(text, "products", file_name="p.jsonl")
    assert next(m for m, _ in read.messages).startswith("p.jsonl:P1:")
    assert [str(e) for e in read.errors] == [
        "p.jsonl, row 2, column units: expected Input should be greater than 0",
        "p.jsonl, row 3, column (line): expected one JSON object per line (Expecting value)",
    ]


AGREEMENTS = ("agreement_id,customer_id,group,product_id,currency,price,valid_from,valid_to,"
              "min_quantity,break_price\n")


def test_a_price_agreement_with_quantity_breaks_is_one_record() -> None:
    read = read_master_file(AGREEMENTS + "PA-1,C1,no,P1,USD,2.20,2026-01-01,2026-12-31,,\n"
                            "PA-1,,,,,,,,120,2.05\nPA-1,,,,,,,,600,1.90\n"
                            "PL-G,G1,yes,P1,USD,2.30,2026-01-01,,,\n",
                            "price_agreements", file_name="p.csv")
    assert read.errors == [] and read.records == 2
    [(_, pa), (_, pl)] = read.messages
    assert pa["breaks"] == [{"min_quantity": "120", "price": "2.05"},
                            {"min_quantity": "600", "price": "1.90"}]
    assert pa["valid_to"] == "2026-12-31" and pa["group"] is False
    assert pl["group"] is True and pl["valid_to"] is None and pl["breaks"] == []


def test_price_agreement_mistakes() -> None:
    text = AGREEMENTS + (
        "PA-1,C1,no,P1,,2.20,2026-01-01,,,\n"  # a price without its currency
        "PA-2,C1,no,P1,USD,2.20,1 Jan 2026,,,\n"
        "PA-3,C1,no,P1,USD,2.20,2026-06-01,2026-05-31,,\n"
        "PA-4,C1,maybe,P1,USD,cheap,2026-01-01,,120,\n"
    )
    assert errors(text, "price_agreements", "p.csv") == [
        "p.csv, row 2, column currency: expected a value: the price's currency, three capital "
        "letters such as USD",
        "p.csv, row 3, column valid_from: expected a date as YYYY-MM-DD, got '1 Jan 2026'",
        "p.csv, row 4, column valid_to: expected a day on or after valid_from (2026-06-01), "
        "got '2026-05-31'",
        "p.csv, row 5, column price: expected a price per base unit such as 2.45, not below zero, "
        "got 'cheap'",
        "p.csv, row 5, column group: expected yes or no, got 'maybe'",
        "p.csv, row 5, column break_price: expected a value: a quantity break needs both "
        "min_quantity and break_price",
    ]


def test_legal_entity_warehouse_and_stock_mistakes() -> None:
    entities = ("entity_id,name,currency,tax_jurisdiction,tax_rate,invoice_prefix,timezone\n"
                "US01,Acme,USD,US-OH,seven,US01,America/New_York\n"
                "US01,Acme again,USD,US-OH,0.07,US01,America/New_York\n")
    assert errors(entities, "legal_entities", "le.csv") == [
        "le.csv, row 3, column entity_id: expected one row per record (row 2 gives US01), got 'US01'",
        "le.csv, row 2, column tax_rate: expected a fraction such as 0.0725 (7.25 %), got 'seven'",
    ]
    assert errors("warehouse_id,name\nCOL,Columbus\n", "warehouses", "w.csv") == [
        "w.csv, row 1, column legal_entity_id: expected a column named legal_entity_id (the legal "
        "entity it belongs to)"]
    stock = ("warehouse_id,product_id,lot_id,expiry,quantity,uom\n"
             "COL,P1,,,50,C S\nCOL,P2,L1,31/12/2027,5,\nCOL,P3,,,-4,\n")
    assert errors(stock, "stock", "s.csv") == [
        "s.csv, row 2, column uom: expected a unit of 1 to 10 letters or digits such as CS, or empty "
        "for the base unit, got 'C S'",
        "s.csv, row 3, column expiry: expected a date as YYYY-MM-DD, got '31/12/2027'",
        "s.csv, row 4, column quantity: expected how many it holds, such as 240, not below zero, "
        "got '-4'",
    ]


def test_a_row_without_its_key_or_with_the_wrong_cell_count_is_reported_not_parked() -> None:
    read = read_master_file(AGREEMENTS + ",C1,no,P1,USD,2.20,2026-01-01,,,\n"
                            "PA-2,C1,no,P1,USD\n" "PA-3,C1,no,P1,USD,2.20,2026-01-01,,,\n",
                            "price_agreements", file_name="p.csv")
    assert [str(e) for e in read.errors] == [
        "p.csv, row 2, column agreement_id: expected a value: the agreement's id",
        "p.csv, row 3, column (row): expected 10 cells like the header, got '5 cells'",
    ]
    assert read.rejects == [] and [b["agreement_id"] for _, b in read.messages] == ["PA-3"]


def test_a_layout_renames_columns_and_errors_name_the_files_own_headers() -> None:
    from o2c.adapters.master_files import MasterLayout

    layout = MasterLayout.from_mapping({"source": "sap", "kind": "warehouses", "delimiter": ";",
                                        "columns": {"warehouse_id": "Plant", "legal_entity_id":
                                                    "Company Code", "name": "Plant Name"}}, "master[0]")
    read = read_master_file("Plant;Company Code;Plant Name;timezone\nCOL;US01;Columbus;Mars/X\n"
                            "DAY;;Dayton;UTC\n", "warehouses", file_name="plants.csv", layout=layout)
    assert [b["warehouse_id"] for _, b in read.messages] == ["COL"]
    assert [str(e) for e in read.errors] == [
        "plants.csv, row 3, column Company Code: expected a value: the legal entity it belongs to"]


def test_a_records_rows_follow_each_other() -> None:
    read = read_master_file(AGREEMENTS + "PA-1,C1,no,P1,USD,2.20,2026-01-01,,,\n"
                            "PA-2,C1,no,P2,USD,2.20,2026-01-01,,,\n" "PA-1,,,,,,,,120,2.05\n",
                            "price_agreements", file_name="p.csv")
    assert [str(e) for e in read.errors] == [
        "p.csv, row 4, column agreement_id: expected the rows of a record one after the other "
        "(row 2 gives PA-1), got 'PA-1'"]
    assert [b["agreement_id"] for _, b in read.messages] == ["PA-1", "PA-2"]


def test_a_big_file_is_split_without_holding_its_messages() -> None:
    from datetime import UTC, datetime

    from o2c.adapters.master_files import master_document, split_master_file

    rows = "".join(f"PA-{i},C1,no,P{i},USD,2.20,2026-01-01,,,\n" for i in range(50))
    bad = (",C1,no,P1,USD,1,2026-01-01,,,\nPA-X,C1,no,P1,US,1,2026-01-01,,,\n"  # no key; a bad currency
           "PA-3,,,,,,,,100,2.00\n")  # a row of PA-3, given apart from it: reported, not made a record
    raw = master_document(AGREEMENTS + rows + bad,
                          "price_agreements", source="erp", file_name="p.csv",
                          received_at=datetime(2026, 3, 2, tzinfo=UTC))
    read = read_master_file(raw.body, "price_agreements", file_name="p.csv", keep=False)
    assert read.records == 51 and read.messages == [] and len(read.ids) == 51
    assert len(read.skipped) == 2
    split = split_master_file(raw)
    made = list(split.messages)
    assert [m.source_message_id.split(":")[1] for m in made] == [f"PA-{i}" for i in range(50)]
    assert [r.message.source_message_id.split(":")[1] for r in split.rejects] == ["PA-X"]
    assert made == list(split_master_file(raw, read=read).messages)  # the same, judged once


TAX_HEAD = "rate_id,country,region,county,city,tax_class,name,rate,valid_from,valid_to\n"


def test_tax_rates_are_one_row_each_and_their_mistakes_are_named() -> None:
    read = read_master_file(TAX_HEAD + "US-IL,US,IL,,,,state,0.0625,2020-01-01,\n"
                            "US-IL-COOK,US,IL,Cook,,reduced,county,0.0175,2020-01-01,2026-12-31\n",
                            "tax_rates", file_name="t.csv")
    assert read.errors == [] and read.records == 2
    assert [(b["rate_id"], b["tax_class"], b.get("county", ""), b["valid_to"]) for _, b in read.messages] == [
        ("US-IL", "standard", "", None), ("US-IL-COOK", "reduced", "Cook", "2026-12-31")]
    assert errors(TAX_HEAD + "A,US,IL,,,,state,six,2020-01-01,\n"
                  "B,US,IL,Cook,Chicago,,local,0.01,2020-01-01,\n"
                  "C,US,IL,,,,state,0.01,2021-01-01,2020-12-31\n"
                  "D,US,IL,,,,state,0.01,1 Jan 2020,\n"
                  "E,usa,,,,,state,0.01,2020-01-01,\n"
                  "F,usa,IL,,,,state,0.01,2020-01-01,\n"
                  "A,US,IL,,,,state,0.01,2020-01-01,\n", "tax_rates", "t.csv") == [
        "t.csv, row 2, column rate: expected a fraction such as 0.0625 (6.25 %), got 'six'",
        "t.csv, row 3, column city: expected empty when county is given: a rate is a county's or a "
        "city's (give each its own row), got 'Chicago'",
        "t.csv, row 4, column valid_to: expected a day on or after valid_from (2021-01-01), got "
        "'2020-12-31'",
        "t.csv, row 5, column valid_from: expected a date as YYYY-MM-DD, got '1 Jan 2020'",
        "t.csv, row 6, column region: expected a value: the state or province such as IL",
        "t.csv, row 8, column rate_id: expected one row per record (row 2 gives A), got 'A'",
        "t.csv, row 7, column country: expected String should match pattern '^[A-Z]{2}$'",
    ]


def test_tax_columns_of_customers_and_products() -> None:
    head = HEAD.rstrip("\n") + ",tax_exemptions,county\n"
    read = read_master_file(head + GOOD.rstrip("\n") + ",EX-1=US-OH:2027-06-30; EX-2=CA:2026-01-31,"
                            "Montgomery\n", "customers", file_name="c.csv")
    assert read.errors == []
    [(_, body)] = read.messages
    assert body["exemptions"] == [
        {"certificate_id": "EX-1", "jurisdiction": "US-OH", "expires": "2027-06-30"},
        {"certificate_id": "EX-2", "jurisdiction": "CA", "expires": "2026-01-31"}]
    assert body["ship_tos"][0]["county"] == "Montgomery"
    assert errors(head + GOOD.rstrip("\n") + ",EX-1 US-OH 2027,\n") == [
        "c.csv, row 2, column tax_exemptions: expected exemption certificates as "
        "id=jurisdiction:expiry separated by ';' such as EX-1=US-IL:2027-12-31, or empty, got "
        "'EX-1 US-OH 2027'"]
    assert errors(head + GOOD.rstrip("\n") + ",EX-1=US-OH:2027-13-01,\n") == [
        "c.csv, row 2, column tax_exemptions: expected a date as YYYY-MM-DD, got '2027-13-01'"]
    assert errors(head + GOOD.rstrip("\n") + ",EX-1=Ohio:2027-12-01,\n")[0].startswith(
        "c.csv, row 2, column tax_exemptions: expected String should match pattern")
    products = read_master_file("product_id,description,base_uom,tax_class\nP1,Saline,EA,exempt\n"
                                "P2,Gloves,EA,\n", "products", file_name="p.csv")
    assert [b["tax_class"] for _, b in products.messages] == ["exempt", "standard"]
