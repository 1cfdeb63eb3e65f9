"""The policy document: schema, validation and typed access.

A document is versioned (``policy_id`` + ``version``), takes effect at
``effective_from``, and may carry per-legal-entity overrides that are merged
over the base sections. Validation errors name the path of the bad field.

``effective_from`` is an instant (ISO 8601 with a UTC offset) or a date. A date
is a business date: for a legal entity's decisions the version takes effect at
the start of that day in the entity's zone; elsewhere in the document's own
``timezone`` (IANA, optional), else UTC. A time without an offset is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from o2c.domain.business_time import start_of_day, zone
from o2c.domain.cash_matching import MatchSettings
from o2c.domain.consolidation import WEEKDAYS, BillingWindow, Grouping, Period
from o2c.domain.disputes import DisputeReason, DisputeSettings, Route
from o2c.domain.holds import HoldCode, Role
from o2c.domain.master import BillingTrigger
from o2c.policy.collections import DEFAULTS as COLLECTIONS_DEFAULTS
from o2c.policy.collections import CollectionsPolicy, CollectionsPolicyError, parse_collections
from o2c.policy.table import HIT_POLICIES, DecisionTable, TableError

SECTIONS = ("credit", "pricing", "allocation", "billing", "holds")
#: Sections a document may leave out, and what stands in for them.
OPTIONAL_SECTIONS: Mapping[str, Mapping[str, Any]] = {
    # Without a tolerance every count difference goes to a person.
    "inventory": {"rules": [{"id": "no-tolerance-set", "then": {"outcome": "review"}}]},
    # Every warehouse exception is a quantity mismatch, and only a carrier's "shipment
    # delayed" (X12 214 AT701 SD) raises a late-ship hold.
    "fulfilment": {
        "exception_rules": [{"id": "cannot-fulfil-as-allocated", "then": {"hold": "FUL-QTY-MISMATCH"}}],
        "shipment_status_rules": [
            {"id": "carrier-reports-delay", "when": {"status": "SD"}, "then": {"outcome": "FUL-LATE-SHIP"}},
            {"id": "milestone", "then": {"outcome": "record"}},
        ],
    },
    # Every hold is decided by the role that owns its code (or one above it), no four-eyes.
    "approvals": {"rules": [{"id": "owner", "then": {"role": "owner"}}], "four_eyes": []},
    # Cash matching: one typo in a reference, combinations of up to four invoices among the
    # 24 oldest open, discounts only until the terms' date.
    "cash": {"max_typo_distance": 1, "max_combination": 4, "combination_candidates": 24,
             "combination_budget": 20000, "discount_grace_days": 0},
    # Collections: no dunning steps, promises recorded by collections and above.
    "collections": COLLECTIONS_DEFAULTS,
    # Documents we send: a 997 is expected within a day; a rejected or unanswered 810 holds
    # its order(s) for billing.
    "documents": {"ack_hours": {"default": 24}, "hold_types": ["810"]},
    # Every dispute owned by ar_manager, 10 business days, escalating to the controller; no
    # write-off authority.
    "disputes": {"routes": {"other": {"owner": "ar_manager", "sla_days": 10, "escalation": "controller"}},
                 "write_off_limits": {}},
}
#: ``approvals`` rules name a role, or ``owner``: the role that owns the hold's code
OWNER = "owner"
#: credit holds o2c may release itself once re-evaluation finds their conditions gone
AUTO_RELEASABLE = (HoldCode.CRD_OVER_LIMIT.value, HoldCode.CRD_PAST_DUE.value,
                   HoldCode.CRD_ACCOUNT_BLOCKED.value)
INVENTORY_OUTCOMES = ("adjust", "review")
FULFILMENT_EXCEPTION_HOLDS = (HoldCode.FUL_QTY_MISMATCH.value, HoldCode.INV_LOT_UNAVAILABLE.value)
SHIPMENT_STATUS_OUTCOMES = ("record", HoldCode.FUL_LATE_SHIP.value)
#: what o2c does about a shipment billed on proof of delivery with none by ``pod_timeout_days``
POD_OVERDUE_REMEDIES = ("chase_carrier", "invoice_anyway")
#: the stages (order statuses) ``holds.stall_hours`` may name: where an order waits on o2c's
#: own process. Invoiced and paid orders wait on the customer's cash (collections' work).
STALL_STAGES = ("received", "validated", "credit_approved", "backordered", "released",
                "partially_shipped", "shipped", "delivered")
#: hours an order may sit in a stage with nothing happening, when the policy does not say
DEFAULT_STALL_HOURS = 48


class PolicyError(ValueError):
    """A policy document that does not follow the schema; the message names the path."""


def _dec(path: str, v: object) -> Decimal:
    if isinstance(v, bool | float):
        raise PolicyError(f"{path}: write decimals as quoted strings (got {v!r})")
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise PolicyError(f"{path}: expected a number, got {v!r}") from None


def _int(path: str, v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise PolicyError(f"{path}: expected a whole number ≥ 0, got {v!r}")
    return v


def _map(path: str, v: object) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise PolicyError(f"{path}: expected a mapping, got {type(v).__name__}")
    return v


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid over ``base``, mapping by mapping (how an entity's overrides apply)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """The resolved settings for one legal entity."""

    credit_table: DecisionTable
    price_tolerance_percent: Decimal
    #: a PO price this many times the contract or list price (or that fraction of it) is
    #: absurd; None: only prices of zero or less are
    po_price_max_ratio: Decimal | None
    enforce_floor: bool
    allocation_strategy: str
    min_shelf_life_days: int
    warehouse_preference: tuple[str, ...]
    billing_table: DecisionTable
    pod_timeout_days: int
    sla_hours: Mapping[str, int]
    standard_terms: tuple[str, ...]
    #: reconciling a warehouse's count with o2c's on-hand: outcome ``adjust`` or ``review``
    inventory_table: DecisionTable
    #: a warehouse's exception code -> ``hold`` (FUL-QTY-MISMATCH or INV-LOT-UNAVAILABLE)
    fulfilment_exception_table: DecisionTable
    #: a carrier's shipment status -> ``outcome``: ``record`` or ``FUL-LATE-SHIP``
    shipment_status_table: DecisionTable
    #: who may decide a hold, by its code and amount: ``then.role`` (a role, or ``owner``)
    approval_table: DecisionTable
    #: hold codes that whoever entered or changed the order may not decide
    four_eyes: frozenset[HoldCode] = frozenset()
    #: credit hold codes o2c releases itself when exposure falls and the condition is gone
    credit_auto_release: frozenset[HoldCode] = frozenset()

    #: what to do when ``pod_timeout_days`` pass without a proof of delivery (POD_OVERDUE_REMEDIES)
    pod_overdue_remedy: str = "chase_carrier"
    #: hours after an escalation before the hold escalates again, up its ladder; None: once only
    escalation_hours: int | None = None
    #: per stage (order status) or ``default``: hours an order may sit idle there; 0: not watched
    stall_hours: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: {"default": DEFAULT_STALL_HOURS})
    #: how cash application matches payments to open invoices
    cash_matching: MatchSettings = dataclasses.field(default_factory=MatchSettings)
    #: consolidation windows by name (``billing.windows``), which ``consolidated`` rules name
    billing_windows: Mapping[str, BillingWindow] = dataclasses.field(default_factory=dict)
    #: dunning steps and promises to pay (``collections``)
    collections: CollectionsPolicy = dataclasses.field(default_factory=CollectionsPolicy)

    #: per X12 set id (``810``) or ``default``: hours a 997 may take; 0: not watched
    ack_hours: Mapping[str, int] = dataclasses.field(default_factory=lambda: {"default": 24})
    #: the set ids whose rejection (or missing 997) holds their order(s) for billing
    ack_hold_types: frozenset[str] = frozenset({"810"})

    def ack_hours_for(self, doc_type: str) -> int | None:
        """Hours a partner has to acknowledge a ``doc_type`` we sent; None: not watched."""
        hours = self.ack_hours.get(doc_type, self.ack_hours.get("default", 0))
        return hours or None
    #: dispute cases: a route per category, write-off authority per role (``disputes``)
    disputes: DisputeSettings = dataclasses.field(default_factory=DisputeSettings)

    def sla_for(self, code: HoldCode) -> int:
        return self.sla_hours.get(code.value, self.sla_hours.get("default", 24))

    def stall_for(self, stage: str) -> int | None:
        """Hours an order may sit idle in ``stage``; None: the stage is not watched."""
        if stage not in STALL_STAGES:
            return None
        hours = self.stall_hours.get(stage, self.stall_hours.get("default", DEFAULT_STALL_HOURS))
        return hours or None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    policy_id: str
    version: str
    #: when the version takes effect where no entity's zone applies (an aware instant)
    effective_from: datetime
    raw: Mapping[str, Any]
    base: Section
    by_entity: Mapping[str, Section]
    #: the business date it takes effect, when the document gives a date (None: an instant)
    effective_date: date | None = None
    #: the document's own zone for a date-only ``effective_from`` (IANA; UTC if not named)
    timezone: str = "UTC"

    def for_entity(self, legal_entity_id: str) -> Section:
        return self.by_entity.get(legal_entity_id, self.base)

    def effective_at(self, zone_name: str | None = None) -> datetime:
        """When this version takes effect for an entity in ``zone_name`` (None: the
        document's own zone): a date means the start of that day there."""
        if self.effective_date is None:
            return self.effective_from
        if zone_name is None or zone_name == self.timezone:
            return self.effective_from
        return start_of_day(self.effective_date, zone_name)


def _section(path: str, raw: Mapping[str, Any]) -> Section:
    for name in SECTIONS:
        if name not in raw:
            raise PolicyError(f"{path}.{name}: section missing")
    credit = _map(f"{path}.credit", raw["credit"])
    pricing = _map(f"{path}.pricing", raw["pricing"])
    alloc = _map(f"{path}.allocation", raw["allocation"])
    billing = _map(f"{path}.billing", raw["billing"])
    holds = _map(f"{path}.holds", raw["holds"])
    inventory = _map(f"{path}.inventory", raw.get("inventory", OPTIONAL_SECTIONS["inventory"]))
    fulfilment = _map(f"{path}.fulfilment", raw.get("fulfilment", OPTIONAL_SECTIONS["fulfilment"]))
    approvals = _map(f"{path}.approvals", raw.get("approvals", OPTIONAL_SECTIONS["approvals"]))
    cash = _map(f"{path}.cash", raw.get("cash", OPTIONAL_SECTIONS["cash"]))
    documents = _map(f"{path}.documents", raw.get("documents", OPTIONAL_SECTIONS["documents"]))
    disputes = _disputes(f"{path}.disputes", raw.get("disputes", OPTIONAL_SECTIONS["disputes"]))
    try:
        approval_table = DecisionTable.parse("approvals", approvals.get("rules"))
    except TableError as e:
        raise PolicyError(f"{path}.approvals: {e}") from None
    roles = {r.value for r in Role} - {Role.ADMIN.value, Role.AUDITOR.value, Role.INTEGRATION.value}
    for r in approval_table.rules:
        role = r.then.get("role")
        if role != OWNER and role not in roles:
            raise PolicyError(f"{path}.approvals.rules[{r.rule_id}].then.role: expected {OWNER!r} or "
                              f"one of {sorted(roles)}, got {role!r}")
    four_eyes = _codes(f"{path}.approvals.four_eyes", approvals.get("four_eyes", []),
                       {h.value for h in HoldCode})
    auto_release = _codes(f"{path}.credit.auto_release", credit.get("auto_release", []),
                          set(AUTO_RELEASABLE))
    try:
        exception_table = DecisionTable.parse("fulfilment-exception", fulfilment.get("exception_rules"))
        status_table = DecisionTable.parse("shipment-status", fulfilment.get("shipment_status_rules"))
    except TableError as e:
        raise PolicyError(f"{path}.fulfilment: {e}") from None
    for table, name, key, allowed in (
        (exception_table, "exception_rules", "hold", FULFILMENT_EXCEPTION_HOLDS),
        (status_table, "shipment_status_rules", "outcome", SHIPMENT_STATUS_OUTCOMES),
    ):
        for r in table.rules:
            if r.then.get(key) not in allowed:
                raise PolicyError(f"{path}.fulfilment.{name}[{r.rule_id}].then.{key}: expected "
                                  f"one of {list(allowed)}, got {r.then.get(key)!r}")
    credit_hit = credit.get("hit", "first")
    if credit_hit not in HIT_POLICIES:
        raise PolicyError(f"{path}.credit.hit: expected one of {list(HIT_POLICIES)}, got {credit_hit!r}")
    try:
        credit_table = DecisionTable.parse("credit", credit.get("rules"), hit=credit_hit)
        billing_table = DecisionTable.parse("billing", billing.get("rules"))
        inventory_table = DecisionTable.parse("inventory", inventory.get("rules"))
    except TableError as e:
        raise PolicyError(f"{path}: {e}") from None
    for r in inventory_table.rules:
        out = r.then.get("outcome")
        if out not in INVENTORY_OUTCOMES:
            raise PolicyError(f"{path}.inventory.rules[{r.rule_id}].then.outcome: expected one of "
                              f"{list(INVENTORY_OUTCOMES)}, got {out!r}")
    for r in credit_table.rules:
        out = r.then.get("outcome")
        if out != "approve" and out not in {h.value for h in HoldCode}:
            raise PolicyError(f"{path}.credit.rules[{r.rule_id}].then.outcome: expected 'approve' "
                              f"or a hold code, got {out!r}")
        if credit_hit == "collect" and out == "approve" and r is not credit_table.rules[-1]:
            # Collected, an approving rule could not outweigh the holds beside it.
            raise PolicyError(f"{path}.credit.rules[{r.rule_id}].then.outcome: with hit: collect "
                              "only the default (last) rule approves; expected a hold code")
    windows = _windows(f"{path}.billing.windows", billing.get("windows", {}))
    for r in billing_table.rules:
        trig = r.then.get("trigger")
        if trig not in {t.value for t in BillingTrigger}:
            raise PolicyError(f"{path}.billing.rules[{r.rule_id}].then.trigger: expected one of "
                              f"{[t.value for t in BillingTrigger]}, got {trig!r}")
        named = r.then.get("window")
        if trig == BillingTrigger.CONSOLIDATED.value and named not in windows:
            raise PolicyError(f"{path}.billing.rules[{r.rule_id}].then.window: a consolidated rule names "
                              f"the window that closes its invoices, one of {sorted(windows)}; got {named!r}")
        if trig != BillingTrigger.CONSOLIDATED.value and named is not None:
            raise PolicyError(f"{path}.billing.rules[{r.rule_id}].then.window: only a consolidated rule "
                              f"names a window (this one invoices {trig})")
    strategy = str(alloc.get("strategy", ""))
    if strategy != "home_complete_then_split":
        raise PolicyError(f"{path}.allocation.strategy: unknown strategy {strategy!r} "
                          "(known: home_complete_then_split)")
    sla = _map(f"{path}.holds.sla_hours", holds.get("sla_hours", {}))
    for code in sla:
        if code != "default" and code not in {h.value for h in HoldCode}:
            raise PolicyError(f"{path}.holds.sla_hours.{code}: not a hold code")
    remedy = billing.get("pod_overdue_remedy", "chase_carrier")
    if remedy not in POD_OVERDUE_REMEDIES:
        raise PolicyError(f"{path}.billing.pod_overdue_remedy: expected one of {list(POD_OVERDUE_REMEDIES)}, "
                          f"got {remedy!r}")
    escalation = holds.get("escalation_hours")
    if escalation is not None and (_int(f"{path}.holds.escalation_hours", escalation) < 1):
        raise PolicyError(f"{path}.holds.escalation_hours: expected a whole number ≥ 1, got {escalation!r}")
    stall = _map(f"{path}.holds.stall_hours", holds.get("stall_hours", {"default": DEFAULT_STALL_HOURS}))
    for stage in stall:
        if stage != "default" and stage not in STALL_STAGES:
            raise PolicyError(f"{path}.holds.stall_hours.{stage}: not a stage o2c watches "
                              f"(default, {', '.join(STALL_STAGES)})")
    terms = pricing.get("standard_terms", [])
    if not isinstance(terms, list):
        raise PolicyError(f"{path}.pricing.standard_terms: expected a list")
    ratio = pricing.get("po_price_max_ratio")
    max_ratio = None if ratio is None else _dec(f"{path}.pricing.po_price_max_ratio", ratio)
    if max_ratio is not None and max_ratio <= 1:
        raise PolicyError(f"{path}.pricing.po_price_max_ratio: expected a number greater than 1 "
                          f"(how many times the contract or list price is absurd), got {ratio!r}")
    pref = alloc.get("warehouse_preference", [])
    if not isinstance(pref, list):
        raise PolicyError(f"{path}.allocation.warehouse_preference: expected a list")
    return Section(
        credit_table=credit_table,
        price_tolerance_percent=_dec(f"{path}.pricing.tolerance_percent",
                                     pricing.get("tolerance_percent", "0")),
        po_price_max_ratio=max_ratio,
        enforce_floor=bool(pricing.get("enforce_floor", True)),
        allocation_strategy=strategy,
        min_shelf_life_days=_int(f"{path}.allocation.min_shelf_life_days",
                                 alloc.get("min_shelf_life_days", 0)),
        warehouse_preference=tuple(str(w) for w in pref),
        billing_table=billing_table,
        pod_timeout_days=_int(f"{path}.billing.pod_timeout_days", billing.get("pod_timeout_days", 7)),
        sla_hours={str(k): _int(f"{path}.holds.sla_hours.{k}", v) for k, v in sla.items()},
        standard_terms=tuple(str(t) for t in terms),
        inventory_table=inventory_table,
        fulfilment_exception_table=exception_table,
        shipment_status_table=status_table,
        approval_table=approval_table,
        four_eyes=four_eyes,
        credit_auto_release=auto_release,
        pod_overdue_remedy=str(remedy),
        escalation_hours=escalation,
        stall_hours={str(k): _int(f"{path}.holds.stall_hours.{k}", v) for k, v in stall.items()},
        cash_matching=_cash_matching(f"{path}.cash", cash),
        billing_windows=windows,
        collections=_collections(path, raw),
        **_documents(f"{path}.documents", documents),
        disputes=disputes,
    )


def _collections(path: str, raw: Mapping[str, Any]) -> CollectionsPolicy:
    try:
        return parse_collections(f"{path}.collections",
                                 _map(f"{path}.collections", raw.get("collections", COLLECTIONS_DEFAULTS)))
    except CollectionsPolicyError as e:
        raise PolicyError(str(e)) from None


#: X12 sets o2c sends that a partner acknowledges
ACKNOWLEDGED_SETS = ("855", "856", "810", "940")


def _documents(path: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``documents``: ``ack_hours`` per set id or ``default`` (whole hours, 0: not watched) and
    ``hold_types``, the set ids a rejection or a missing 997 holds for billing."""
    unknown = sorted(set(raw) - {"ack_hours", "hold_types"})
    if unknown:
        raise PolicyError(f"{path}.{unknown[0]}: not a documents setting (known: ack_hours, hold_types)")
    hours = _map(f"{path}.ack_hours", raw.get("ack_hours", {"default": 24}))
    for key, value in hours.items():
        if key != "default" and str(key) not in ACKNOWLEDGED_SETS:
            raise PolicyError(f"{path}.ack_hours.{key}: not a set o2c sends and partners acknowledge "
                              f"(default, {', '.join(ACKNOWLEDGED_SETS)})")
        _int(f"{path}.ack_hours.{key}", value)
    types = raw.get("hold_types", ["810"])
    if not isinstance(types, list) or any(str(t) not in ACKNOWLEDGED_SETS for t in types):
        raise PolicyError(f"{path}.hold_types: expected a list of {', '.join(ACKNOWLEDGED_SETS)}, "
                          f"got {types!r}")
    return {"ack_hours": {str(k): _int(f"{path}.ack_hours.{k}", v) for k, v in hours.items()},
            "ack_hold_types": frozenset(str(t) for t in types)}


def _cash_matching(path: str, raw: Mapping[str, Any]) -> MatchSettings:
    defaults = OPTIONAL_SECTIONS["cash"]
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        raise PolicyError(f"{path}.{unknown[0]}: not a cash matching setting (known: {', '.join(defaults)})")
    values = {k: _int(f"{path}.{k}", raw.get(k, v)) for k, v in defaults.items()}
    for k in ("max_combination", "combination_candidates"):
        if values[k] < 1:
            raise PolicyError(f"{path}.{k}: expected a whole number ≥ 1, got {values[k]}")
    if values["max_typo_distance"] > 2:
        raise PolicyError(f"{path}.max_typo_distance: more than 2 typos would match references that "
                          f"are simply different; expected 0, 1 or 2, got {values['max_typo_distance']}")
    return MatchSettings(**values)


#: roles that may own, take or write off a dispute case (people of the business)
_CASE_ROLES = frozenset(r.value for r in Role) - {Role.ADMIN.value, Role.AUDITOR.value,
                                                  Role.INTEGRATION.value}


def _case_role(path: str, v: object) -> str:
    if v not in _CASE_ROLES:
        raise PolicyError(f"{path}: expected one of {sorted(_CASE_ROLES)}, got {v!r}")
    return str(v)


def _disputes(path: str, raw: object) -> DisputeSettings:
    """``disputes``: ``routes`` per category (``owner``, ``escalation``, and ``sla_hours`` or
    ``sla_days``) and ``write_off_limits`` per role (an amount per currency)."""
    raw = _map(path, raw)
    unknown = sorted(set(raw) - {"routes", "write_off_limits"})
    if unknown:
        raise PolicyError(f"{path}.{unknown[0]}: not a disputes setting (known: routes, write_off_limits)")
    categories = [c.value for c in DisputeReason]
    routes: dict[str, Route] = {}
    for category, r in _map(f"{path}.routes", raw.get("routes", {})).items():
        at = f"{path}.routes.{category}"
        if category not in categories:
            raise PolicyError(f"{at}: not a dispute category (known: {', '.join(categories)})")
        r = _map(at, r)
        extra = sorted(set(r) - {"owner", "escalation", "sla_hours", "sla_days"})
        if extra:
            raise PolicyError(f"{at}.{extra[0]}: unknown field "
                              "(known: owner, escalation, sla_hours, sla_days)")
        if ("sla_hours" in r) == ("sla_days" in r):
            raise PolicyError(f"{at}: give its SLA as one of sla_hours or sla_days")
        hours = _int(f"{at}.sla_hours", r["sla_hours"]) if "sla_hours" in r else None
        days = _int(f"{at}.sla_days", r["sla_days"]) if "sla_days" in r else None
        if (hours or days or 0) < 1:
            raise PolicyError(f"{at}: an SLA of at least 1 hour or 1 day")
        routes[str(category)] = Route(category=str(category), owner=_case_role(f"{at}.owner", r.get("owner")),
                                      escalation=_case_role(f"{at}.escalation", r.get("escalation")),
                                      sla_hours=hours, sla_days=days)
    if DisputeReason.OTHER.value not in routes:
        raise PolicyError(f"{path}.routes.other: missing (it takes every category no route names)")
    limits: dict[str, dict[str, Decimal]] = {}
    for role, per_currency in _map(f"{path}.write_off_limits", raw.get("write_off_limits", {})).items():
        at = f"{path}.write_off_limits.{role}"
        _case_role(at, role)
        limits[str(role)] = {}
        for cur, amount in _map(at, per_currency).items():
            value = _dec(f"{at}.{cur}", amount)
            if value < 0:
                raise PolicyError(f"{at}.{cur}: expected an amount ≥ 0, got {amount!r}")
            limits[str(role)][str(cur)] = value
    return DisputeSettings(routes=routes, write_off_limits=limits)


def _windows(path: str, raw: object) -> dict[str, BillingWindow]:
    """``billing.windows``: per name, ``group`` (customer | ship_to), ``period`` (daily |
    weekly), ``weekday`` (weekly only: monday … sunday) and ``cut_off`` (``HH:MM``, the
    wall-clock time in the legal entity's zone at which a window closes)."""
    out: dict[str, BillingWindow] = {}
    for name, w in _map(path, raw).items():
        at = f"{path}.{name}"
        w = _map(at, w)
        unknown = sorted(set(w) - {"group", "period", "weekday", "cut_off"})
        if unknown:
            raise PolicyError(f"{at}: unknown field(s) {unknown} (known: group, period, weekday, cut_off)")
        group, period = w.get("group"), w.get("period")
        if group not in {g.value for g in Grouping}:
            raise PolicyError(f"{at}.group: expected one of {[g.value for g in Grouping]}, got {group!r}")
        if period not in {p.value for p in Period}:
            raise PolicyError(f"{at}.period: expected one of {[p.value for p in Period]}, got {period!r}")
        weekday = w.get("weekday")
        if period == Period.WEEKLY.value and weekday not in WEEKDAYS:
            raise PolicyError(f"{at}.weekday: a weekly window closes on one of {list(WEEKDAYS)}, "
                              f"got {weekday!r}")
        if period == Period.DAILY.value and weekday is not None:
            raise PolicyError(f"{at}.weekday: a daily window closes every day; leave weekday out")
        cut = w.get("cut_off")
        try:
            if not isinstance(cut, str) or len(cut) != 5 or cut[2] != ":":
                raise ValueError
            cut_off = time.fromisoformat(cut)
        except ValueError:
            raise PolicyError(f"{at}.cut_off: expected a time of day as quoted \"HH:MM\" (the legal "
                              f"entity's wall clock), got {cut!r}") from None
        out[str(name)] = BillingWindow(
            name=str(name), grouping=Grouping(group), period=Period(period), cut_off=cut_off,
            weekday=WEEKDAYS.index(weekday) if period == Period.WEEKLY.value else None)
    return out


def _codes(path: str, v: object, allowed: set[str]) -> frozenset[HoldCode]:
    if not isinstance(v, list):
        raise PolicyError(f"{path}: expected a list of hold codes")
    for code in v:
        if code not in allowed:
            raise PolicyError(f"{path}: {code!r} is not one of {sorted(allowed)}")
    return frozenset(HoldCode(c) for c in v)


def parse_policy(raw: object) -> Policy:
    """Validate a policy document (a mapping, as read from YAML)."""
    doc = _map("policy", raw)
    for key in ("policy_id", "version", "effective_from"):
        if key not in doc:
            raise PolicyError(f"policy.{key}: missing")
    tz = str(doc.get("timezone") or "UTC")
    try:
        zone(tz)
    except ValueError as e:
        raise PolicyError(f"policy.timezone: {e}") from None
    day, effective = _effective(doc["effective_from"], tz)
    base_raw = {k: doc[k] for k in (*SECTIONS, *OPTIONAL_SECTIONS) if k in doc}
    base = _section("policy", base_raw)
    by_entity: dict[str, Section] = {}
    for entity, over in _map("policy.entities", doc.get("entities", {})).items():
        by_entity[str(entity)] = _section(f"policy.entities.{entity}",
                                          merge(base_raw, _map(f"policy.entities.{entity}", over)))
    return Policy(policy_id=str(doc["policy_id"]), version=str(doc["version"]),
                  effective_from=effective, raw=doc, base=base, by_entity=by_entity,
                  effective_date=day, timezone=tz)


def _effective(eff: object, tz: str) -> tuple[date | None, datetime]:
    """``effective_from`` as (its business date, or None for an instant; the instant
    it takes effect in the document's zone ``tz``)."""
    if isinstance(eff, date) and not isinstance(eff, datetime):
        return eff, start_of_day(eff, tz)
    if isinstance(eff, datetime):
        when = eff
    else:
        text = str(eff).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return day, start_of_day(day, tz)
            when = datetime.fromisoformat(text)
        except ValueError:
            raise PolicyError(f"policy.effective_from: expected an ISO date (2026-04-01) or a time "
                              f"with a UTC offset (2026-04-01T00:00:00-05:00), got {eff!r}") from None
    if when.tzinfo is None:
        raise PolicyError(f"policy.effective_from: {when.isoformat()} has no UTC offset; give a date "
                          f"(2026-04-01) or a time with an offset (2026-04-01T00:00:00-05:00)")
    return None, when
