"""Which handler handles which command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o2c.domain.events import Event
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.handlers import (
    allocation,
    billing,
    cash,
    changes,
    collections,
    credit,
    disputes,
    documents,
    fulfilment,
    intake,
    inventory,
    master,
    orders,
    timers,
)

Handler = Callable[[Any, Context], list[Event]]

HANDLERS: dict[type[cmd.Command], Handler] = {
    cmd.ReceiveOrder: intake.receive_order,
    cmd.ValidateOrder: intake.validate_order,
    cmd.CheckCredit: credit.check_credit,
    cmd.ReevaluateCredit: credit.reevaluate_credit,
    cmd.AllocateOrder: allocation.allocate_order,
    cmd.ReleaseHold: orders.release_hold,
    cmd.RejectOrder: orders.reject_order,
    cmd.CloseOrder: orders.close_order,
    cmd.ReceiveStock: orders.receive_stock,
    cmd.ConfirmShipment: fulfilment.confirm_shipment,
    cmd.RecordDelivery: fulfilment.record_delivery,
    cmd.RecordPick: fulfilment.record_pick,
    cmd.ReportFulfilmentException: fulfilment.report_fulfilment_exception,
    cmd.RecordShipmentStatus: fulfilment.record_shipment_status,
    cmd.ChangeOrder: changes.change_order,
    cmd.InvoiceShipment: billing.invoice_shipment,
    cmd.IssueCreditMemo: billing.issue_credit_memo,
    cmd.ReceivePayment: cash.receive_payment,
    cmd.ApplyCash: cash.apply_cash,
    cmd.UnapplyPayment: cash.unapply_payment,
    cmd.ReconcileInventory: inventory.reconcile_inventory,
    cmd.ResolveStockDifference: inventory.resolve_stock_difference,
    cmd.FireTimer: timers.fire_timer,
    cmd.UpsertCustomer: master.upsert_customer,
    cmd.UpsertProduct: master.upsert_product,
    cmd.UpsertLegalEntity: master.upsert_legal_entity,
    cmd.UpsertWarehouse: master.upsert_warehouse,
    cmd.UpsertPriceAgreement: master.upsert_price_agreement,
    cmd.OpenStock: master.open_stock,
    cmd.RevalidateOrder: master.revalidate_order,
    cmd.UpsertTaxRate: master.upsert_tax_rate,
    cmd.RetryTaxHold: master.retry_tax_hold,
    # outbound documents and the partners' 997s
    cmd.RecordFunctionalAck: documents.record_functional_ack,
    cmd.ResendDocument: documents.resend_document,
}
# collections
HANDLERS |= {
    cmd.RecordPromiseToPay: collections.record_promise,
    cmd.RunDunning: collections.run_dunning,
    cmd.OpenDispute: disputes.open_dispute,
    cmd.AttachEvidence: disputes.attach_evidence,
    cmd.ResolveDispute: disputes.resolve_dispute,
}
