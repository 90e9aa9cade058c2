"""The medical code (医疗码): the patient shows it at the hospital; scanned with purpose ``medical.registration``
(single-use) it checks them in for today's appointment and gives them a queue number."""

import datetime as dt
from typing import Any

from apps.codes.plugin_api import CodeType, PurposeSpec

from . import selectors
from .billing.export import BILLING_EXPORT_COVERS, billing_export
from .billing.scan import PAYMENT

REGISTRATION = "medical.registration"


class MedicalCodeType(CodeType):
    key = "medical"
    label_zh = "医疗码"
    label_en = "Medical code"
    # Shown at a desk, read within a minute: short-lived, so a photo of it is soon worthless (and it is
    # single-use for check-in anyway).
    lifetime = dt.timedelta(minutes=2)
    purposes = (
        # The cashier scans the code to take payment of the patient's bills at that hospital (the money side).
        PurposeSpec(PAYMENT, "医院缴费", "Paying at a hospital", categories=("identity.name",), retention_days=365,
                    description_zh="在医院收费处扫医疗码，支付本院待缴账单（先医保结算，再付现金部分）。",
                    description_en="At a hospital's cashier, scanning the medical code pays your bills awaiting "
                    "payment there (insurance first, then the cash share)."),
    )
    export_covers = ("medical.Appointment.patient", "medical.Doctor.user", "medical.ClinicSession.doctor",
                     *BILLING_EXPORT_COVERS)

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        # Hospitals register patients by real name (the gate gives them the verified name), so only a verified
        # citizen holds the code. It carries nothing: the hospital learns who through the consent gate.
        if not getattr(citizen, "is_real_name_verified", False):
            return None
        return {}

    def export(self, citizen: Any) -> dict[str, Any]:
        return {
            "appointments": [
                {
                    "hospital": a.session.hospital.name,
                    "department": a.session.department.name_zh,
                    "doctor": a.session.doctor.name,
                    "date": a.session.date.isoformat(),
                    "starts_at": a.session.starts_at.isoformat(),
                    "status": a.status,
                    "place_no": a.place_no,
                    "queue_no": a.queue_no,
                    "fee_fen": a.fee_fen,
                    "paid_at": a.paid_at.isoformat() if a.paid_at else None,
                    "checked_in_at": a.checked_in_at.isoformat() if a.checked_in_at else None,
                    "cancelled_at": a.cancelled_at.isoformat() if a.cancelled_at else None,
                    "cancel_reason": a.cancel_reason,
                    "created_at": a.created_at.isoformat(),
                }
                for a in selectors.appointment_list(patient=citizen).order_by("created_at", "id")
            ],
            "doctor_roles": [
                {
                    "hospital": d.hospital.name, "department": d.department.name_zh, "name": d.name, "title": d.title,
                    # A doctor's own clinic sessions (their schedule): data about them as a person too.
                    "sessions": [
                        {"date": c.date.isoformat(), "starts_at": c.starts_at.isoformat(),
                         "ends_at": c.ends_at.isoformat(), "capacity": c.capacity}
                        for c in selectors.clinic_session_list(doctor=d)
                    ],
                }
                for d in selectors.doctor_list(user=citizen)
            ],
            # The money side: coverage, bills, payments, refunds (and what a staff member handled).
            **billing_export(citizen),
        }
