"""Rich renderings of reports for the terminal (presentation only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from o2c.analytics.kpis import KpiReport
from o2c.analytics.trace import Trace, fmt_duration


def _h(v: object) -> str:
    return "–" if v is None else f"{v} h"


def _pct(v: object) -> str:
    return "–" if v is None else f"{v} %"


def _amount(text: str | None) -> str:
    return "–" if text is None else f"{Decimal(text):,}"


def kpis(console: Console, report: KpiReport) -> None:
    d = report.as_dict()
    p = d["period"]
    t = Table(title=f"KPIs {p['start'][:10]} → {p['end'][:10]} ({p['days']} days)", title_justify="left")
    t.add_column("KPI")
    t.add_column("count", justify="right")
    t.add_column("median", justify="right")
    t.add_column("p90", justify="right")
    for key, label in (
        ("order_release", "Order release cycle time"),
        ("shipment_to_invoice_with_waiting", "Shipment-to-invoice latency (waiting counted)"),
        ("shipment_to_invoice", "  invoiced shipments only"),
        ("shipments_not_invoiced", "  shipped, not invoiced yet (age)"),
        ("trigger_to_invoice", "Trigger-to-invoice latency"),
        ("invoice_cycle", "Invoice cycle time"),
        ("order_to_cash", "Order-to-cash cycle time"),
    ):
        s = d[key]
        t.add_row(label, f"{s['count']:,}", _h(s["median_hours"]), _h(s["p90_hours"]))
    for code, s in sorted(d["hold_resolution"].items()):
        t.add_row(f"  hold resolution {code}", f"{s['count']:,}", _h(s["median_hours"]), _h(s["p90_hours"]))
    console.print(t)

    tl = d["touchless"]
    rate = "–" if tl["rate_percent"] is None else f"{tl['rate_percent']} %"
    console.print(
        f"Touchless rate: [bold]{rate}[/] ({tl['touchless_orders']:,} of "
        f"{tl['invoiced_orders']:,} invoiced orders had no hold and no human action)"
    )

    _quality(console, d)
    r = Table(title="Receivables", title_justify="left")
    for col in (
        "currency",
        "credit sales",
        "ending AR",
        "DSO (days)",
        "CEI %",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "over 90",
    ):
        r.add_column(col, justify="right" if col != "currency" else "left")
    for cur, x in sorted(d["receivables"].items()):
        a = x["aging"]
        r.add_row(
            cur,
            x["credit_sales"],
            x["ending_ar"],
            str(x["dso_days"] or "–"),
            str(x["cei_percent"] or "–"),
            a["current"],
            a["1-30"],
            a["31-60"],
            a["61-90"],
            a["over_90"],
        )
    console.print(r)

    h = Table(title="Open holds at period end", title_justify="left")
    h.add_column("hold code")
    h.add_column("open", justify="right")
    h.add_column("oldest", justify="right")
    for code, x in sorted(d["open_holds"].items()):
        h.add_row(code, f"{x['count']:,}", _h(x["oldest_age_hours"]))
    if not d["open_holds"]:
        h.add_row("(none)", "0", "–")
    console.print(h)

    sla = Table(title="Holds against their SLA", title_justify="left")
    for col in ("hold code", "judged", "SLA breach rate", "escalations", "resolved", "automatic release rate",
                "open past SLA at end"):
        sla.add_column(col, justify="left" if col == "hold code" else "right")
    for code, x in sorted(d["hold_sla"].items()):
        sla.add_row(code, f"{x['judged']:,}", _pct(x["breach_rate_percent"]), f"{x['escalations']:,}",
                    f"{x['resolved']:,}", _pct(x["auto_release_rate_percent"]), f"{x['open_past_sla']:,}")
    if not d["hold_sla"]:
        sla.add_row("(none)", "0", "–", "0", "0", "–", "0")
    console.print(sla)

    i = Table(title="Integration", title_justify="left")
    i.add_column("source")
    i.add_column("inbound", justify="right")
    i.add_column("dead-lettered", justify="right")
    i.add_column("failure rate", justify="right")
    for src, x in sorted(d["integration"].items()):
        rate = "–" if x["failure_rate_percent"] is None else f"{x['failure_rate_percent']} %"
        i.add_row(src, f"{x['inbound']:,}", f"{x['dead_lettered']:,}", rate)
    console.print(i)
    _cash(console, d)
    tot = d["totals"]
    console.print(", ".join(f"{k.replace('_', ' ')}: {v:,}" for k, v in tot.items()))
    if report.by is not None:
        kpis_by(console, report)


def _quality(console: Console, d: dict[str, Any]) -> None:
    """First-pass invoice accuracy and the perfect order rate with its parts."""
    a, po = d["invoice_accuracy"], d["perfect_order"]
    console.print(
        f"First-pass invoice accuracy: [bold]{_pct(a['first_pass_percent'])}[/] "
        f"({a['issued'] - a['corrected']:,} of {a['issued']:,} invoices issued in the period never "
        f"corrected by a credit memo or an invoice dispute)"
    )
    console.print(
        f"Perfect order rate: [bold]{_pct(po['rate_percent'])}[/] ({po['perfect']:,} of "
        f"{po['delivered']:,} orders delivered); on time {_pct(po['on_time_percent'])}, complete "
        f"{_pct(po['complete_percent'])}, undamaged {_pct(po['undamaged_percent'])}, invoiced right "
        f"{_pct(po['invoiced_right_percent'])}"
    )


def _cash(console: Console, d: dict[str, Any]) -> None:
    """Disputes by age and cash application."""
    ds = d["disputes"]
    t = Table(title=f"Disputes: {ds['opened']:,} opened, {ds['resolved']:,} resolved in the period; "
                    f"days to resolve mean {_days(ds['days_to_resolve']['mean_days'])}, "
                    f"p90 {_days(ds['days_to_resolve']['p90_days'])}", title_justify="left")
    t.add_column("open at end, by age (days)")
    for b in ("0-30", "31-60", "61-90", "over_90"):
        t.add_column(b.replace("_", " "), justify="right")
    for cur, buckets in sorted(ds["open"].items()):
        t.add_row(cur, *(f"{x['count']:,} / {_amount(x['amount'])}" for x in buckets.values()))
    if not ds["open"]:
        t.add_row("(none)", "0", "0", "0", "0")
    console.print(t)
    c = d["cash"]
    rules = ", ".join(f"{r} {n:,}" for r, n in c["applied_by_rule"].items()) or "none"
    console.print(
        f"Cash auto-match rate: [bold]{_pct(c['auto_match_rate_percent'])}[/] "
        f"({c['auto_matched_lines']:,} of {c['remittance_lines']:,} remittance lines applied without a "
        f"person); applications: {c['applied']:,} ({c['applied_by_person']:,} by a person; by rule: {rules})"
    )
    for cur, x in sorted(c["amounts"].items()):
        console.print(
            f"  {cur}: received {_amount(x['received'])}, applied automatically "
            f"{_amount(x['auto_applied'])} ({_pct(x['auto_amount_share_percent'])}); unapplied cash at "
            f"end {_amount(x['unapplied'])} on {x['unapplied_payments']:,} payments"
        )
    channels = c.get("by_channel") or {}
    if channels:
        t = Table(title="Cash by channel", title_justify="left")
        for col in ("channel", "payments", "remittance lines", "applied automatically", "auto-match",
                    "left for a person"):
            t.add_column(col, justify="left" if col == "channel" else "right")
        for name, x in channels.items():
            t.add_row(CHANNEL_NAMES.get(name, name), f"{x['payments']:,}", f"{x['remittance_lines']:,}",
                      f"{x['auto_matched_lines']:,}", _pct(x["auto_match_rate_percent"]),
                      f"{x['left_for_a_person']:,}")
        console.print(t)


#: how the cash application table names each channel cash came by
CHANNEL_NAMES = {"lockbox": "lockbox file (checks)", "bai2": "BAI2 (ACH, wire)",
                 "camt": "camt.054 (transfers)", "edi_820": "EDI 820 (ACH)", "other": "other"}


def _days(v: object) -> str:
    return "–" if v is None else f"{v} d"


def _p90(s: dict[str, Any]) -> str:
    return _h(s["p90_hours"]) if s["count"] else "–"


def kpis_by(console: Console, report: KpiReport) -> None:
    """The headline KPIs per group of ``report.by``: one row per group (and currency)."""
    d = report.as_dict()
    name = {"entity": "legal entity"}.get(d["by"], d["by"])
    flow = Table(title=f"Order flow by {name}", title_justify="left")
    for col in (name, "orders", "released p90", "shipments", "ship→invoice p90 (waiting counted)",
                "waiting", "invoices", "first-pass", "touchless", "perfect order", "on time", "complete"):
        flow.add_column(col, justify="left" if col == name else "right")
    for key, g in d["groups"].items():
        tot, po = g["totals"], g["perfect_order"]
        flow.add_row(
            escape(key), f"{tot['orders_received']:,}", _p90(g["order_release"]), f"{tot['shipments']:,}",
            _p90(g["shipment_to_invoice_with_waiting"]), f"{g['shipments_not_invoiced']['count']:,}",
            f"{tot['invoices_issued']:,}", _pct(g["invoice_accuracy"]["first_pass_percent"]),
            _pct(g["touchless"]["rate_percent"]), _pct(po["rate_percent"]), _pct(po["on_time_percent"]),
            _pct(po["complete_percent"]),
        )
    console.print(flow)
    ar = Table(title=f"Receivables by {name}", title_justify="left")
    for col in (name, "currency", "credit sales", "ending AR", "DSO (days)", "CEI %", "current", "1-30",
                "31-60", "61-90", "over 90"):
        ar.add_column(col, justify="left" if col in (name, "currency") else "right")
    cash = Table(title=f"Disputes and cash by {name}", title_justify="left")
    for col in (name, "currency", "disputes opened", "open at end", "open amount", "resolved",
                "days to resolve (mean)", "remittance lines", "auto-match", "amount share", "unapplied"):
        cash.add_column(col, justify="left" if col in (name, "currency") else "right")
    for key, g in d["groups"].items():
        ds, c = g["disputes"], g["cash"]
        for cur in sorted(g["receivables"]):
            x = g["receivables"][cur]
            ar.add_row(escape(key), cur, _amount(x["credit_sales"]), _amount(x["ending_ar"]),
                       str(x["dso_days"] or "–"), str(x["cei_percent"] or "–"),
                       *(_amount(x["aging"][b]) for b in ("current", "1-30", "31-60", "61-90", "over_90")))
        for cur in sorted({*ds["open"], *c["amounts"]}) or ["–"]:
            buckets = ds["open"].get(cur, {}).values()
            money = c["amounts"].get(cur, {})
            cash.add_row(
                escape(key), cur, f"{ds['opened']:,}", f"{sum(b['count'] for b in buckets):,}",
                f"{sum((Decimal(b['amount']) for b in buckets), Decimal(0)):,}", f"{ds['resolved']:,}",
                _days(ds["days_to_resolve"]["mean_days"]), f"{c['remittance_lines']:,}",
                _pct(c["auto_match_rate_percent"]), _pct(money.get("auto_amount_share_percent")),
                _amount(money.get("unapplied")),
            )
    console.print(ar)
    console.print(cash)


def letter_dict(d: Any) -> dict[str, Any]:
    return {
        "dead_letter_id": d.dead_letter_id,
        "source": d.source,
        "source_message_id": d.source_message_id,
        "kind": d.kind,
        "code": d.code,
        "reason": d.reason,
        "failed_at": d.failed_at.isoformat(),
        "status": d.status,
        "body": d.body,
    }


def dead_letters(console: Console, letters: list[Any], limit: int | None = None) -> None:
    t = Table(title=f"Dead-letter queue: {len(letters):,} open", title_justify="left")
    for col in ("id", "failed at", "source", "kind", "code", "reason"):
        t.add_column(col, overflow="fold")
    for d in letters[:limit] if limit else letters:
        t.add_row(
            d.dead_letter_id, d.failed_at.strftime("%Y-%m-%d %H:%M"), d.source, d.kind, d.code, d.reason
        )
    if limit and len(letters) > limit:
        t.add_row("…", "", "", "", "", f"{len(letters) - limit:,} more: o2c dlq list")
    console.print(t)


def trace(console: Console, tr: Trace) -> None:
    d = tr.as_dict()
    if tr.status is None and tr.order_id.startswith("account:"):  # cash, deductions, disputes
        console.print(f"\n[bold]Account {tr.order_id.removeprefix('account:')}[/]: "
                      f"{len(tr.steps)} events over {fmt_duration(tr.elapsed)}")
    else:
        console.print(
            f"\n[bold]Order {d['order_id']}[/] for {d['customer_id']}, PO {d['po_number']}: "
            f"[bold]{d['status']}[/], elapsed {fmt_duration(tr.elapsed)}"
        )
        if tr.waiting:
            console.print(f"[yellow]{tr.waiting[0].upper() + tr.waiting[1:]}[/]")
    t = Table(show_edge=False, pad_edge=False)
    for col in ("time", "+", "event", "status", "source", "what"):
        t.add_column(col, overflow="fold")
    shown: set[str] = set()
    for s in tr.steps:
        t.add_row(
            s.occurred_at.strftime("%m-%d %H:%M"),
            "" if s.since_previous is None else fmt_duration(s.since_previous),
            s.type,
            s.status.value if s.status else "–",
            s.source,
            s.summary,
        )
        msg = tr.inbound.get(s.origin or "")
        if msg is not None and msg.key not in shown:
            shown.add(msg.key)
            what = f"[dim]{escape(msg.key)}: {escape(msg.body)}[/]"
            t.add_row("", "", f"[dim]↳ {msg.kind}[/]", "", "", what)
            if msg.raw:
                t.add_row("", "", f"[dim]  as sent ({msg.document_kind})[/]", "", "",
                          f"[cyan]{escape(msg.raw)}[/]")
    console.print(t)
    w = Table(title="Time in status", title_justify="left", show_edge=False)
    w.add_column("status")
    w.add_column("time", justify="right")
    for st, dur in tr.time_in_status().items():
        w.add_row(st.value, fmt_duration(dur))
    console.print(w)
    if tr.holds:
        h = Table(title="Holds", title_justify="left", show_edge=False)
        for col in ("code", "owner", "waited", "resolution", "reason"):
            h.add_column(col, overflow="fold")
        for x in tr.holds:
            res = f"{x.resolution} by {x.resolved_by}" if x.resolved_at else "open"
            h.add_row(
                x.code,
                x.owner if x.escalated_to is None else f"{x.owner} → {x.escalated_to}",
                fmt_duration(x.duration) + (" (SLA breached)" if x.sla_breached else ""),
                res,
                x.reason,
            )
        console.print(h)


def _change(r: Any) -> str:
    """One line of what an audit entry changed: the subject's status before, then the
    events it produced or the outcome it recorded."""
    d = r.as_dict()
    before, after = d.get("before"), d.get("after")
    parts = []
    if isinstance(before, dict) and "status" in before:
        parts.append(f"was {before['status']}")
    if isinstance(after, dict) and isinstance(after.get("events"), list):
        parts.append("→ " + (", ".join(str(e.get("type")) for e in after["events"]) or "no events"))
    elif isinstance(after, dict) and "status" in after:
        parts.append(f"→ {after['status']}" + (" with a corrected body" if after.get("body_changed") else ""))
    return " ".join(parts)


def entries(n: int) -> str:
    return f"{n:,} audit entr{'y' if n == 1 else 'ies'}"


def audit_entries(console: Console, records: list[Any], title: str) -> None:
    t = Table(title=f"{title}: {entries(len(records))}", title_justify="left")
    for col in ("#", "at", "who", "from", "action", "subject", "change"):
        t.add_column(col, overflow="fold")
    for r in records:
        who = r.actor_label + (f" for {r.on_behalf_of}" if r.on_behalf_of else "")
        subject = f"{r.subject_type} {r.subject_id}"
        if r.legal_entity_id:
            subject += f" ({r.legal_entity_id})"
        t.add_row(str(r.seq), r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), escape(who),
                  escape(r.address or "–"), r.action, escape(subject), escape(_change(r)))
    console.print(t)
