"""Transit's part of the demo city: the fares (fare_demo.py), then the ride code's part — a second gate at East
Railway Station sharing its seen-list, and how to ride: alice's ride code page, the reader page (the dispatcher
is City Bus staff), and reader_sim with the printed reader credentials. Idempotent: a second run changes nothing."""

from typing import Any

from apps.codes.plugin_api import organization_get

from . import fare_demo, services
from .models import Reader, Stop

# The reader credentials are printed for the demo only; real readers get a secret drawn by the city.
SECOND_GATE = ("demo-fare-gate-01b", "M1-01")


def seed(*, stdout: Any) -> None:
    fare_demo.seed(stdout=stdout)
    operator = organization_get(slug=fare_demo.OPERATOR)
    if operator is None:
        return
    device, station = SECOND_GATE
    if not Reader.objects.filter(device_id=device).exists():
        services.reader_register(operator=operator, device_id=device, kind="gate",
                                 stop=Stop.objects.filter(operator=operator, code=station).first(),
                                 seen_group=station, secret=f"{device}-secret")
    readers = ", ".join(f"{r.device_id} (secret {r.device_id}-secret)"
                        for r in Reader.objects.filter(operator=operator).order_by("device_id"))
    stdout.write(
        "Ride code: alice opens /transit/ride-code/ on her phone; the dispatcher (City Bus staff) opens "
        "/transit/reader/ as a reader, or a terminal plays one: python manage.py reader_sim --device "
        "demo-fare-bus-1 --secret demo-fare-bus-1-secret sync, then ... scan 'TR1:...', then ... upload. "
        f"Readers: {readers}."
    )
