"""The demo city's people and organizations. Every step is get-or-create, so seeding twice changes nothing."""

from . import idnumbers, services
from .models import Citizen, Organization

DEMO_PASSWORD = "citycode-demo"


def demo_id_number(region: str, birth: str, sequence: str) -> str:
    first17 = f"{region}{birth}{sequence}"
    return first17 + idnumbers.check_character(first17)


CITIZENS = [
    # username, real name, ID number (valid, fictitious), phone
    ("alice", "李爱丽", demo_id_number("330106", "19900307", "123"), "13800000001"),
    ("bob", "王博", demo_id_number("440305", "19850615", "456"), "13800000002"),
    ("carol", "陈可乐", demo_id_number("110105", "20150901", "028"), "13800000003"),  # a minor
]

ORGANIZATIONS = [
    ("data-bureau", "市大数据局", "City Data Bureau", Organization.Kind.DEPARTMENT),
    ("health-commission", "市卫生健康委员会", "City Health Commission", Organization.Kind.DEPARTMENT),
    ("city-bus", "市公交集团", "City Bus Group", Organization.Kind.TRANSIT_OPERATOR),
    ("city-hospital", "市第一人民医院", "City No.1 People's Hospital", Organization.Kind.HOSPITAL),
    ("licence-office", "市政务服务中心证照办", "City Licence Office", Organization.Kind.LICENCE_OFFICE),
    ("city-library", "市图书馆", "City Library", Organization.Kind.VENUE),
    # Defines the library card as a code type with no code (apps/codes/demo.py).
    ("culture-bureau", "市文化广电旅游局", "City Culture Bureau", Organization.Kind.DEPARTMENT),
]

STAFF = [
    # username, name, organization, role
    ("bureau", "数据局管理员", "data-bureau", "admin"),
    ("officer", "卫健委工作人员", "health-commission", "staff"),
    ("doctor", "医院挂号员", "city-hospital", "staff"),
    ("librarian", "图书馆工作人员", "city-library", "staff"),
    ("culture", "文旅局管理员", "culture-bureau", "admin"),
    ("dispatcher", "公交调度员", "city-bus", "staff"),  # settles fares (transit's operator pages)
]


def seed(*, stdout) -> None:
    for slug, name, name_en, kind in ORGANIZATIONS:
        if not Organization.objects.filter(slug=slug).exists():
            services.organization_create(slug=slug, name=name, name_en=name_en, kind=kind)

    for username, name, id_number, phone in CITIZENS:
        services.resident_record_upsert(id_number=id_number, name=name)
        if not Citizen.objects.filter(username=username).exists():
            services.citizen_register(
                username=username, name=name, id_number=id_number, phone=phone, password=DEMO_PASSWORD
            )

    for username, name, slug, role in STAFF:
        user = Citizen.objects.filter(username=username).first()
        if user is None:
            user = Citizen(username=username, name=name)
            user.set_password(DEMO_PASSWORD)
            user.save()
        services.membership_set(user=user, organization=Organization.objects.get(slug=slug), role=role)

    stdout.write(f"Citizens: {', '.join(c[0] for c in CITIZENS)}; staff: {', '.join(s[0] for s in STAFF)}; "
                 f"password for all: {DEMO_PASSWORD}")
