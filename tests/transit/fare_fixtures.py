"""A small fare network for tests: the worked examples' table (tests/transit/test_fares.py) as database rows."""

import datetime as dt
import secrets
from decimal import Decimal

from django.utils import timezone

from apps.transit import fare_services, services
from apps.transit.models import Reader, RideAccount, RiderCertificate

CST = dt.timezone(dt.timedelta(hours=8))


class Network:
    """The operator's network, fares and readers, with helpers to make riders and taps."""

    def __init__(self, operator, *, slug="bus"):
        self.operator = operator
        self.net = fare_services.fare_network_set(operator=operator, default_fare_fen=700,
                                                  unmatched_timeout_s=3 * 3600)
        self.line1 = services.line_create(operator=operator, code="1", name_zh="1路", mode="bus")
        self.line2 = services.line_create(operator=operator, code="2", name_zh="2路", mode="bus")
        self.metro = services.line_create(operator=operator, code="M1", name_zh="地铁1号线", mode="metro")
        self.stops = {
            code: services.stop_create(operator=operator, code=code, name_zh=code, line=self.metro, sequence=i,
                                       km=Decimal(km))
            for i, (code, km) in enumerate([("A", "0"), ("B", "5"), ("C", "8"), ("D", "20")])
        }
        self.readers = {}
        self.secrets = {}
        for name, kind, line, stop in [("bus1", "bus", self.line1, None), ("bus2", "bus", self.line2, None)] + [
            (f"gate{c}", "gate", None, s) for c, s in self.stops.items()
        ]:
            reader, secret = services.reader_register(operator=operator, device_id=f"{slug}-{name}", kind=kind,
                                                      line=line, stop=stop, seen_group=name)
            self.readers[name], self.secrets[name] = reader, secret
        n = self.net
        bus_flat = fare_services.fare_product_set(network=n, code="bus", name_zh="公交", name_en="Bus", amount_fen=200)
        off_peak = fare_services.fare_product_set(network=n, code="bus_off", name_zh="平峰", name_en="Off-peak",
                                                  amount_fen=150)
        m = [fare_services.fare_product_set(network=n, code=f"m{i}", name_zh=f"地铁{i}", name_en=f"Metro {i}",
                                            amount_fen=a) for i, a in enumerate((300, 400, 500), 1)]
        midday = fare_services.timeframe_set(network=n, code="midday", start_s=10 * 3600, end_s=16 * 3600)
        self.rules = {
            "line1": fare_services.leg_rule_set(network=n, product=bus_flat, mode="bus", line=self.line1),
            "bus": fare_services.leg_rule_set(network=n, product=bus_flat, mode="bus"),
            "off_peak": fare_services.leg_rule_set(network=n, product=off_peak, mode="bus", timeframe=midday,
                                                   priority=1),
            "m1": fare_services.leg_rule_set(network=n, product=m[0], mode="metro", max_distance_m=6000),
            "m2": fare_services.leg_rule_set(network=n, product=m[1], mode="metro", min_distance_m=6000,
                                             max_distance_m=12000),
            "m3": fare_services.leg_rule_set(network=n, product=m[2], mode="metro", min_distance_m=12000),
        }
        self.transfers = {
            "bus_metro": fare_services.transfer_rule_set(network=n, from_mode="bus", to_mode="metro",
                                                         discount_fen=100, duration_limit_s=90 * 60, transfer_count=2),
            "metro_bus": fare_services.transfer_rule_set(network=n, from_mode="metro", to_mode="bus",
                                                         discount_fen=100, duration_limit_s=90 * 60, transfer_count=2),
            "bus_bus": fare_services.transfer_rule_set(network=n, from_mode="bus", to_mode="bus", discount_fen=200,
                                                       duration_limit_s=60 * 60, transfer_count=1),
        }
        self.student = fare_services.rider_category_set(network=n, code="student", name_zh="学生", name_en="Student",
                                                        fare_percent=50)
        fare_services.rider_category_set(network=n, code="senior", name_zh="老年", name_en="Senior", fare_percent=0)
        self.daily = fare_services.cap_set(network=n, period="day", amount_fen=1200)
        self.weekly = fare_services.cap_set(network=n, period="week", amount_fen=5000)

    def rider(self, citizen, *, mode="prepaid", credit_limit_fen=0, concession="none", balance_fen=0):
        account = services.account_open(citizen=citizen, mode=mode, credit_limit_fen=credit_limit_fen,
                                        concession=concession)
        if balance_fen:
            fare_services.account_top_up(account=account, amount_fen=balance_fen, idempotency_key="initial")
            account.refresh_from_db()
        return account, self.certificate(account)

    def certificate(self, account):
        now = timezone.now()
        return RiderCertificate.objects.create(
            account=account, operator=self.operator, serial=secrets.token_hex(8), pseudonym=secrets.token_hex(12),
            fare_limit_fen=2000, concession=account.concession, issued_at=now - dt.timedelta(days=30),
            expires_at=now + dt.timedelta(hours=6))


def tap(uid, at, pseudonym, direction):
    return {"uid": uid, "at": at, "pseudonym": pseudonym, "direction": direction}


def upload(reader: Reader, batch_id: str, taps):
    return fare_services.tap_batch_upload(reader=reader, batch_id=batch_id, taps=taps)


def ledger_balances_agree() -> bool:
    from django.db.models import Sum

    for account in RideAccount.objects.all():
        total = account.ledger.aggregate(s=Sum("amount_fen"))["s"] or 0
        if total != account.balance_fen:
            return False
    return True
