"""Demo fares for City Bus Group (identity's demo operator ``city-bus``): flat bus fares per line, metro distance
fares, a bus↔metro transfer discount, a daily cap and concessions; alice topped up, with yesterday's rides
settled so her money page shows fares and their explanations. Idempotent: a second run changes nothing."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.codes.plugin_api import organization_get

from . import fare_services, services
from .models import Line, Reader, RideAccount, Stop, Trip

OPERATOR = "city-bus"
STATIONS = [("M1-01", "火车东站", "East Railway Station", "0"), ("M1-02", "市民中心", "Civic Centre", "3.2"),
            ("M1-03", "武林广场", "Wulin Square", "7.5"), ("M1-04", "西湖文化广场", "West Lake Culture Square", "13.8")]
FARE_READERS = [("demo-fare-bus-1", "bus", "1", None), ("demo-fare-gate-01", "gate", None, "M1-01"),
                ("demo-fare-gate-03", "gate", None, "M1-03")]


def _line(operator: Any, code: str, name_zh: str, name_en: str, mode: str) -> Line:
    return Line.objects.filter(operator=operator, code=code).first() or services.line_create(
        operator=operator, code=code, name_zh=name_zh, name_en=name_en, mode=mode)


def _stop(operator: Any, line: Line, seq: int, code: str, name_zh: str, name_en: str, km: str) -> Stop:
    return Stop.objects.filter(operator=operator, code=code).first() or services.stop_create(
        operator=operator, code=code, name_zh=name_zh, name_en=name_en, line=line, sequence=seq, km=Decimal(km))


def fares_seed(*, operator: Any) -> None:
    bus1 = _line(operator, "1", "1路", "Line 1", "bus")
    _line(operator, "K2", "K2路", "Line K2", "bus")
    metro = _line(operator, "M1", "地铁1号线", "Metro Line 1", "metro")
    for seq, (code, zh, en, km) in enumerate(STATIONS):
        _stop(operator, metro, seq, code, zh, en, km)
    for device, kind, line, stop in FARE_READERS:
        if not Reader.objects.filter(device_id=device).exists():
            services.reader_register(
                operator=operator, device_id=device, kind=kind,
                line=Line.objects.get(operator=operator, code=line) if line else None,
                stop=Stop.objects.get(operator=operator, code=stop) if stop else None,
                seen_group=stop or device, secret=f"{device}-secret")
    net = fare_services.fare_network_set(operator=operator, default_fare_fen=800, unmatched_timeout_s=3 * 3600)
    bus = fare_services.fare_product_set(network=net, code="bus-flat", name_zh="公交单程", name_en="Bus single",
                                         amount_fen=200)
    fare_services.leg_rule_set(network=net, product=bus, mode="bus")
    fare_services.leg_rule_set(network=net, product=bus, mode="bus", line=bus1)
    bands = [(0, 6000, 300, "0–6 km"), (6000, 12000, 400, "6–12 km"), (12000, 22000, 500, "12–22 km"),
             (22000, None, 800, "22+ km")]
    for i, (lo, hi, fen, label) in enumerate(bands):
        product = fare_services.fare_product_set(network=net, code=f"metro-{i + 1}", name_zh=f"地铁 {label}",
                                                 name_en=f"Metro {label}", amount_fen=fen)
        fare_services.leg_rule_set(network=net, product=product, mode="metro", min_distance_m=lo, max_distance_m=hi)
    for a, b in (("bus", "metro"), ("metro", "bus")):
        fare_services.transfer_rule_set(network=net, from_mode=a, to_mode=b, discount_fen=100,
                                        duration_limit_s=90 * 60, transfer_count=2)
    for code, zh, en, pct in (("student", "学生", "Student", 50), ("senior", "老年人", "Senior", 0),
                              ("disabled", "残疾人", "Disabled", 0)):
        fare_services.rider_category_set(network=net, code=code, name_zh=zh, name_en=en, fare_percent=pct)
    fare_services.cap_set(network=net, period="day", amount_fen=1200)


def seed(*, stdout: Any) -> None:
    operator = organization_get(slug=OPERATOR)
    if operator is None:
        return
    fares_seed(operator=operator)
    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.filter(username="alice").first()
    if alice is None:
        return
    account = RideAccount.objects.filter(citizen=alice).first() or services.account_open(citizen=alice,
                                                                                          mode="prepaid")
    fare_services.account_top_up(account=account, amount_fen=5000, idempotency_key="demo-initial-top-up")
    if not Trip.objects.filter(account=account).exists():
        # Yesterday: bus line 1 at 08:00, then the metro from East Railway Station to Wulin Square (7.5 km) with
        # the transfer discount, and home in the evening by metro; settled now.
        pseudonym = services.certificate_issue(account=account, operator=operator).certificate.pseudonym
        day = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        readers = {r.device_id: r for r in Reader.objects.filter(device_id__in=[d for d, *_ in FARE_READERS])}
        taps = {
            "demo-fare-bus-1": [("b1", day, "board")],
            "demo-fare-gate-01": [("g1", day + dt.timedelta(minutes=25), "in"),
                                  ("g2", day + dt.timedelta(hours=10, minutes=20), "out")],
            "demo-fare-gate-03": [("g1", day + dt.timedelta(minutes=48), "out"),
                                  ("g2", day + dt.timedelta(hours=10), "in")],
        }
        for device, rows in taps.items():
            fare_services.tap_batch_upload(
                reader=readers[device], batch_id=f"demo-{pseudonym[:8]}",
                taps=[{"uid": f"demo-{pseudonym[:8]}-{uid}", "at": at, "pseudonym": pseudonym, "direction": d}
                      for uid, at, d in rows])
        run = fare_services.settlement_start(operator=operator)
        fare_services.settlement_execute(run_id=run.pk)
    account.refresh_from_db()
    stdout.write(f"Transit fares: City Bus Group's fare table (bus ¥2, metro by distance, transfer −¥1, daily cap "
                 f"¥12); alice's balance ¥{account.balance_fen / 100:.2f} after yesterday's settled rides.")
