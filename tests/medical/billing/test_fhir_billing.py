"""Charge items and bills read as FHIR R4 ChargeItem and Invoice that the fhir.resources models accept."""

from decimal import Decimal

import pytest
from fhir.resources.R4B.chargeitem import ChargeItem as FhirChargeItem
from fhir.resources.R4B.invoice import Invoice as FhirInvoice

from apps.medical.billing import fhir
from apps.medical.models import Bill

from .conftest import pay, with_on_commit

pytestmark = pytest.mark.django_db


def test_an_issued_and_a_paid_bill_validate_with_the_insurance_split(order_bill):
    # Given a bill still issued: valid, no split yet
    issued = FhirInvoice.model_validate(fhir.invoice_resource(order_bill))
    assert issued.status == "issued" and issued.totalGross.value == Decimal("350.00")
    # When it is paid
    with_on_commit(lambda: pay(order_bill, order_bill.citizen))
    bill = Bill.objects.get(pk=order_bill.pk)
    invoice = FhirInvoice.model_validate(fhir.invoice_resource(bill))
    # Then it is balanced, the shares are exact decimals adding up to the total, and each line refers to its item
    assert invoice.status == "balanced"
    shares = {c.code.coding[0].code: c.amount.value for c in invoice.totalPriceComponent if c.code}
    assert shares["benefit"] == Decimal("180") and shares["personal-account"] == Decimal("40")
    assert shares["cash"] == Decimal("130")
    assert shares["benefit"] + shares["personal-account"] + shares["cash"] == invoice.totalGross.value
    assert [line.chargeItemReference.reference for line in invoice.lineItem] == [
        f"ChargeItem/{i.pk}" for i in bill.items.order_by("position")]
    for item in bill.items.all():
        charge = FhirChargeItem.model_validate(fhir.chargeitem_resource(item))
        assert charge.status == "billed" and charge.subject.reference == f"Patient/{bill.citizen_id}"


def test_no_name_leaves_in_a_resource(order_bill):
    text = str(fhir.invoice_resource(order_bill)) + str(fhir.chargeitem_resource(order_bill.items.first()))
    assert order_bill.citizen.name not in text and order_bill.citizen.username not in text
