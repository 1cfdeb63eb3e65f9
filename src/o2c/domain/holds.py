"""The exception (hold) taxonomy: one vocabulary for every stage.

A hold has a code from this fixed list, an owner role, a stage and the actions
a person may take. SLAs are policy, not code (see ``o2c.policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    SALES_OPS = "sales_ops"
    PRICING = "pricing"
    CREDIT_ANALYST = "credit_analyst"
    CREDIT_MANAGER = "credit_manager"
    WAREHOUSE_OPS = "warehouse_ops"
    BILLING = "billing"
    CASH_APP = "cash_app"
    COLLECTIONS = "collections"
    AR_MANAGER = "ar_manager"
    CONTROLLER = "controller"
    INTEGRATION = "integration"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Stage(StrEnum):
    CAPTURE = "capture"
    CREDIT = "credit"
    ALLOCATION = "allocation"
    FULFILMENT = "fulfilment"
    BILLING = "billing"
    CASH = "cash"
    INTEGRATION = "integration"


class HoldAction(StrEnum):
    RELEASE = "release"
    REJECT = "reject"
    EDIT_AND_RETRY = "edit_and_retry"
    OVERRIDE = "override"


class HoldCode(StrEnum):
    VAL_CUSTOMER_UNKNOWN = "VAL-CUSTOMER-UNKNOWN"
    VAL_SHIPTO_UNKNOWN = "VAL-SHIPTO-UNKNOWN"
    VAL_ITEM_UNKNOWN = "VAL-ITEM-UNKNOWN"
    VAL_UOM_INVALID = "VAL-UOM-INVALID"
    VAL_DUPLICATE_PO = "VAL-DUPLICATE-PO"
    VAL_DUPLICATE_LINE = "VAL-DUPLICATE-LINE"
    VAL_MISSING_FIELD = "VAL-MISSING-FIELD"
    VAL_CURRENCY_INVALID = "VAL-CURRENCY-INVALID"
    VAL_CHANGE_TOO_LATE = "VAL-CHANGE-TOO-LATE"
    PRC_CONTRACT_MISMATCH = "PRC-CONTRACT-MISMATCH"
    PRC_BELOW_FLOOR = "PRC-BELOW-FLOOR"
    PRC_PO_PRICE_INVALID = "PRC-PO-PRICE-INVALID"
    TRM_NONSTANDARD = "TRM-NONSTANDARD"
    CRD_OVER_LIMIT = "CRD-OVER-LIMIT"
    CRD_PAST_DUE = "CRD-PAST-DUE"
    CRD_ACCOUNT_BLOCKED = "CRD-ACCOUNT-BLOCKED"
    INV_SHORT = "INV-SHORT"
    INV_LOT_UNAVAILABLE = "INV-LOT-UNAVAILABLE"
    INV_COUNT_MISMATCH = "INV-COUNT-MISMATCH"
    FUL_QTY_MISMATCH = "FUL-QTY-MISMATCH"
    FUL_LATE_SHIP = "FUL-LATE-SHIP"
    BIL_POD_OVERDUE = "BIL-POD-OVERDUE"
    BIL_TAX_UNRESOLVED = "BIL-TAX-UNRESOLVED"
    # a document we sent (an 810) rejected by the partner's 997, or with no 997 in time
    BIL_DOC_REJECTED = "BIL-DOC-REJECTED"
    BIL_DOC_UNACKED = "BIL-DOC-UNACKED"
    CSH_UNAPPLIED = "CSH-UNAPPLIED"
    CSH_SHORT_PAY = "CSH-SHORT-PAY"
    INT_PARSE_ERROR = "INT-PARSE-ERROR"
    INT_OUT_OF_ORDER = "INT-OUT-OF-ORDER"
    INT_UNKNOWN_REFERENCE = "INT-UNKNOWN-REFERENCE"


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldKind:
    code: HoldCode
    stage: Stage
    owner: Role
    actions: tuple[HoldAction, ...]
    title: str


_R, _J, _E, _O = HoldAction.RELEASE, HoldAction.REJECT, HoldAction.EDIT_AND_RETRY, HoldAction.OVERRIDE
_C = HoldCode

TAXONOMY: dict[HoldCode, HoldKind] = {
    k.code: k
    for k in (
        HoldKind(code=_C.VAL_CUSTOMER_UNKNOWN, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Customer not in master data"),
        HoldKind(code=_C.VAL_SHIPTO_UNKNOWN, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Ship-to not on the customer's account"),
        HoldKind(code=_C.VAL_ITEM_UNKNOWN, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Item not in master data"),
        HoldKind(code=_C.VAL_UOM_INVALID, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Unit of measure not valid for the item"),
        HoldKind(code=_C.VAL_DUPLICATE_PO, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_O, _J), title="Same customer PO number already received"),
        HoldKind(code=_C.VAL_DUPLICATE_LINE, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Line number used more than once on the order"),
        HoldKind(code=_C.VAL_MISSING_FIELD, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Required field missing"),
        HoldKind(code=_C.VAL_CURRENCY_INVALID, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_E, _J), title="Order currency is not the selling entity's currency"),
        HoldKind(code=_C.VAL_CHANGE_TOO_LATE, stage=Stage.CAPTURE, owner=Role.CUSTOMER_SERVICE,
                 actions=(_O, _J), title="Buyer's PO change arrived after the order was released"),
        HoldKind(code=_C.PRC_CONTRACT_MISMATCH, stage=Stage.CAPTURE, owner=Role.PRICING,
                 actions=(_O, _E, _J), title="PO price outside the tolerance of the contract "
                                             "(or, without one, the list) price"),
        HoldKind(code=_C.PRC_BELOW_FLOOR, stage=Stage.CAPTURE, owner=Role.PRICING,
                 actions=(_O, _J), title="Price below the margin floor"),
        # No override: a price of zero or less, or one the policy calls absurd, is a typo
        # to correct (an order change) or a reason to reject, never a price to accept.
        HoldKind(code=_C.PRC_PO_PRICE_INVALID, stage=Stage.CAPTURE, owner=Role.PRICING,
                 actions=(_E, _J), title="PO price is zero or less, or absurd next to the "
                                         "contract or list price"),
        HoldKind(code=_C.TRM_NONSTANDARD, stage=Stage.CAPTURE, owner=Role.SALES_OPS,
                 actions=(_O, _E, _J), title="Payment terms differ from the account's"),
        HoldKind(code=_C.CRD_OVER_LIMIT, stage=Stage.CREDIT, owner=Role.CREDIT_ANALYST,
                 actions=(_R, _J), title="Exposure over credit limit"),
        HoldKind(code=_C.CRD_PAST_DUE, stage=Stage.CREDIT, owner=Role.CREDIT_ANALYST,
                 actions=(_R, _J), title="Account has past-due balance"),
        HoldKind(code=_C.CRD_ACCOUNT_BLOCKED, stage=Stage.CREDIT, owner=Role.CREDIT_MANAGER,
                 actions=(_R, _J), title="Account blocked"),
        HoldKind(code=_C.INV_SHORT, stage=Stage.ALLOCATION, owner=Role.SALES_OPS,
                 actions=(_R, _J), title="Not enough stock: backordered"),
        HoldKind(code=_C.INV_LOT_UNAVAILABLE, stage=Stage.ALLOCATION, owner=Role.WAREHOUSE_OPS,
                 actions=(_R, _J), title="No lot with enough shelf life"),
        HoldKind(code=_C.INV_COUNT_MISMATCH, stage=Stage.ALLOCATION, owner=Role.WAREHOUSE_OPS,
                 actions=(_R, _J), title="Warehouse count differs from o2c's stock beyond what "
                                         "it may book on its own"),
        HoldKind(code=_C.FUL_QTY_MISMATCH, stage=Stage.FULFILMENT, owner=Role.WAREHOUSE_OPS,
                 actions=(_R, _O), title="Shipped quantity differs from allocated"),
        HoldKind(code=_C.FUL_LATE_SHIP, stage=Stage.FULFILMENT, owner=Role.WAREHOUSE_OPS,
                 actions=(_R,), title="Shipment late against requested date"),
        HoldKind(code=_C.BIL_POD_OVERDUE, stage=Stage.BILLING, owner=Role.BILLING,
                 actions=(_O, _R), title="Proof of delivery overdue"),
        HoldKind(code=_C.BIL_TAX_UNRESOLVED, stage=Stage.BILLING, owner=Role.BILLING,
                 actions=(_E, _R), title="Tax could not be determined"),
        # Resending the document (new control numbers) or releasing the hold resolves them.
        HoldKind(code=_C.BIL_DOC_REJECTED, stage=Stage.BILLING, owner=Role.BILLING,
                 actions=(_E, _R), title="Partner's 997 rejected a document we sent"),
        HoldKind(code=_C.BIL_DOC_UNACKED, stage=Stage.BILLING, owner=Role.BILLING,
                 actions=(_E, _R), title="No 997 for a document we sent in time"),
        HoldKind(code=_C.CSH_UNAPPLIED, stage=Stage.CASH, owner=Role.CASH_APP,
                 actions=(_E, _R), title="Cash received but not applied"),
        HoldKind(code=_C.CSH_SHORT_PAY, stage=Stage.CASH, owner=Role.CASH_APP,
                 actions=(_O, _R), title="Customer paid less than invoiced"),
        HoldKind(code=_C.INT_PARSE_ERROR, stage=Stage.INTEGRATION, owner=Role.INTEGRATION,
                 actions=(_E,), title="Inbound message could not be read"),
        HoldKind(code=_C.INT_OUT_OF_ORDER, stage=Stage.INTEGRATION, owner=Role.INTEGRATION,
                 actions=(_E,), title="Event arrived before its prerequisite"),
        HoldKind(code=_C.INT_UNKNOWN_REFERENCE, stage=Stage.INTEGRATION, owner=Role.INTEGRATION,
                 actions=(_E,), title="Message refers to something unknown"),
    )
}

assert set(TAXONOMY) == set(HoldCode), "every hold code has a taxonomy entry"


class HoldStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    REJECTED = "rejected"


@dataclass(slots=True, kw_only=True)
class Hold:
    """A reason an order waits. Its open time is what KPIs measure."""

    hold_id: str
    code: HoldCode
    reason: str
    placed_at: datetime
    sla_due_at: datetime | None
    status: HoldStatus = HoldStatus.OPEN
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    #: the rules of its code that failed when it was placed: what a release accepts. Empty
    #: for checks that record no conditions; a release then accepts the code.
    conditions: tuple[str, ...] = ()
    #: what is at stake (see ``HoldPlaced.amount``): the approval tiers read it
    amount: Decimal | None = None
    #: the role it waits on after its SLA passed (None: its owner's, ``kind.owner``)
    escalated_to: Role | None = None

    @property
    def waits_on(self) -> Role:
        """The role the hold waits on now: its owner's, or the one it was escalated to."""
        return self.escalated_to or TAXONOMY[self.code].owner

    @property
    def kind(self) -> HoldKind:
        return TAXONOMY[self.code]
