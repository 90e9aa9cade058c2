"""Demo: the traffic police's licence office defines a C1 driving licence and issues one to alice; a traffic
patrol (statutory grant of licence.traffic_check) and a hotel (consent grant of hotel.check_in, alice's consent)
can ask for it. Idempotent: seeding again changes nothing."""

from typing import Any

from django.contrib.auth import get_user_model

from apps.codes import plugin_api

from . import selectors, services
from .code_type import HOTEL_PURPOSE

OFFICE = ("traffic-police", "市公安局交通警察支队", "City Traffic Police (licence office)", "licence_office")
PATROL = ("traffic-patrol", "交巡警执勤大队", "Traffic patrol", "department")
HOTEL = ("harbour-hotel", "朝天门港湾酒店", "Harbour Hotel", "venue")
CLERK = "police-clerk"

DRIVING: dict[str, Any] = dict(
    type_code="JSZC1", authority_code="11500000MB1234567X", label_zh="机动车驾驶证（C1）",
    label_en="Driving licence (C1)", category="licence.driving", validity_days=6 * 365,
    fields=[
        {"key": "vehicle_class", "kind": "string", "label_zh": "准驾车型", "label_en": "Vehicle class"},
        {"key": "first_issued", "kind": "date", "label_zh": "初次领证日期", "label_en": "First issued"},
        {"key": "address", "kind": "string", "label_zh": "住址", "label_en": "Address"},
    ],
    purpose_fields={
        "licence.traffic_check": ["vehicle_class", "valid_until", "identifier", "name"],
        HOTEL_PURPOSE: ["age_over_18", "name"],
    },
)


def seed(*, stdout) -> None:
    people = get_user_model()
    alice = people.objects.filter(username="alice").first()
    if alice is None or not people.objects.filter(username="bureau").exists():
        return
    office = plugin_api.organization_ensure(slug=OFFICE[0], name=OFFICE[1], name_en=OFFICE[2], kind=OFFICE[3])
    patrol = plugin_api.organization_ensure(slug=PATROL[0], name=PATROL[1], name_en=PATROL[2], kind=PATROL[3])
    hotel = plugin_api.organization_ensure(slug=HOTEL[0], name=HOTEL[1], name_en=HOTEL[2], kind=HOTEL[3])
    clerk = people.objects.filter(username=CLERK).first()
    if clerk is None:
        clerk = people(username=CLERK, name="窗口民警")
        clerk.set_password(plugin_api.demo_password())
        clerk.save()
    plugin_api.demo_membership_ensure(user=clerk, organization=office, role="staff")
    licence_type = selectors.licence_type_get(type_code=DRIVING["type_code"])
    if licence_type is None:
        licence_type = services.licence_type_define(office=office, by=clerk, **DRIVING)
    if not selectors.licence_list(citizen=alice).filter(licence_type=licence_type).exclude(status="revoked").exists():
        services.licence_issue(licence_type=licence_type, citizen=alice, issued_by=clerk, values={
            "vehicle_class": "C1", "first_issued": "2012-05-01", "address": "重庆市渝中区解放碑路1号"})
    plugin_api.demo_grant_ensure(organization=patrol, purpose="licence.traffic_check",
                                 legal_reference="《中华人民共和国道路交通安全法》第八十七条")
    plugin_api.demo_grant_ensure(organization=hotel, purpose=HOTEL_PURPOSE)
    plugin_api.demo_consent_ensure(citizen=alice, purpose=HOTEL_PURPOSE, organization=hotel,
                                   categories=["identity.adult", "identity.name"])
    patrol_key = plugin_api.demo_api_key_ensure(organization=patrol, name="demo-licence-verifier",
                                                file_name=".demo-patrol-key")
    hotel_key = plugin_api.demo_api_key_ensure(organization=hotel, name="demo-licence-verifier",
                                               file_name=".demo-hotel-key")
    stdout.write(f"Licences: {CLERK} (password as the others) issues at {OFFICE[0]}; alice holds a C1 driving "
                 f"licence; {PATROL[0]} (statutory) and {HOTEL[0]} (alice consents) may ask for it; "
                 f"their API keys are in {patrol_key} and {hotel_key}.")
