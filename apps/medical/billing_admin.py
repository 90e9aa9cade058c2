"""Admin of the money side: read-only. Money moves only through services (and the ledger refuses edits anyway);
a refund's two-person rule would be bypassed by an edit form."""

from django.contrib import admin

from .models import (
    Bill,
    ChargeItem,
    Coverage,
    InsuranceSettlement,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentNotification,
    Refund,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChargeItemInline(admin.TabularInline):
    model = ChargeItem
    extra = 0
    can_delete = False
    fields = ("position", "code", "description", "category", "amount_fen", "fund_fen", "account_fen", "cash_fen")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ("number", "hospital", "status", "total_fen", "fund_fen", "account_fen", "cash_fen", "created_at")
    list_filter = ("status", "hospital")
    raw_id_fields = ("citizen", "appointment")
    inlines = [ChargeItemInline]


@admin.register(Coverage)
class CoverageAdmin(ReadOnlyAdmin):
    list_display = ("citizen", "year", "insured", "scheme", "account_balance_fen")
    raw_id_fields = ("citizen",)


@admin.register(InsuranceSettlement)
class InsuranceSettlementAdmin(ReadOnlyAdmin):
    list_display = ("pk", "bill", "status", "fund_fen", "account_fen", "failure", "settled_at")
    list_filter = ("status",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("out_trade_no", "bill", "provider", "amount_fen", "status", "paid_at")
    list_filter = ("status", "provider")


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "event", "reference", "amount_fen", "deliveries", "outcome", "received_at")
    list_filter = ("outcome", "event")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("out_refund_no", "bill", "status", "amount_fen", "cash_fen", "requested_by", "decided_by")
    list_filter = ("status",)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("account", "amount_fen", "ref")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("key", "hospital", "kind", "bill_ref", "reverses", "posted_at")
    list_filter = ("kind", "hospital")
    inlines = [LedgerEntryInline]
