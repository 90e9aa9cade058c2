"""Input and output shapes of the money API (bills, payments, refunds, reconciliation)."""

from rest_framework import serializers

from ..models import ItemCategory


class MedicalCoverageOutput(serializers.Serializer):
    year = serializers.IntegerField()
    insured = serializers.BooleanField()
    scheme = serializers.CharField()
    deductible_fen = serializers.IntegerField()
    annual_cap_fen = serializers.IntegerField()
    account_balance_fen = serializers.IntegerField()


class MedicalChargeItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    code = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    unit_price_fen = serializers.IntegerField()
    quantity = serializers.IntegerField()
    amount_fen = serializers.IntegerField()
    status = serializers.CharField()
    fund_fen = serializers.IntegerField()
    account_fen = serializers.IntegerField()
    cash_fen = serializers.IntegerField()
    deductible_fen = serializers.IntegerField()


class MedicalRefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    bill = serializers.CharField(source="bill.number")
    charge_item = serializers.IntegerField(source="charge_item_id", allow_null=True)
    out_refund_no = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    amount_fen = serializers.IntegerField()
    fund_fen = serializers.IntegerField()
    account_fen = serializers.IntegerField()
    cash_fen = serializers.IntegerField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class MedicalBillOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    hospital = serializers.SlugField(source="hospital.slug")
    hospital_name = serializers.CharField(source="hospital.name")
    status = serializers.CharField()
    total_fen = serializers.IntegerField()
    fund_fen = serializers.IntegerField(help_text="Paid by the insurance pooled fund.")
    account_fen = serializers.IntegerField(help_text="Paid from the patient's personal insurance account.")
    cash_fen = serializers.IntegerField(help_text="Paid in cash through the payment provider.")
    deductible_fen = serializers.IntegerField()
    self_paid_fen = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    items = MedicalChargeItemOutput(many=True, source="items.all")
    refunds = MedicalRefundOutput(many=True, source="refunds.all")


class MedicalPaymentOutput(serializers.Serializer):
    bill = MedicalBillOutput()
    out_trade_no = serializers.CharField(allow_null=True)
    amount_fen = serializers.IntegerField()
    status = serializers.CharField()
    provider = serializers.CharField(allow_null=True)


class MedicalOrderLineInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    description = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=[c for c in ItemCategory.values if c != ItemCategory.REGISTRATION])
    unit_price_fen = serializers.IntegerField(min_value=1, max_value=10_000_000)
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)


class MedicalOrderInput(serializers.Serializer):
    appointment = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=200, required=False, default="")
    lines = serializers.ListField(child=MedicalOrderLineInput(), allow_empty=False, max_length=50)


class MedicalRefundInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    charge_item = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class MedicalNotificationOutput(serializers.Serializer):
    code = serializers.CharField(help_text="`SUCCESS`: stop repeating this notification.")
    outcome = serializers.CharField(help_text="applied, already_done, stale, amount_mismatch or unknown_trade.")


class MedicalReconciliationInput(serializers.Serializer):
    day = serializers.DateField()
