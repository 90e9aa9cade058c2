"""Demo: alice holds a level-B talent certification, so her "my codes" page shows the talent code too."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import selectors, services

DEMO_OFFICE = "市人才服务中心"


def seed(*, stdout) -> None:
    alice = get_user_model().objects.filter(username="alice").first()
    if alice is None:
        return
    if selectors.certification_in_force_get(citizen=alice) is None:
        services.certification_issue(
            citizen=alice,
            level="B",
            issued_by=DEMO_OFFICE,
            valid_until=timezone.localdate() + dt.timedelta(days=3 * 365),
        )
    stdout.write("Talent: alice holds a level-B talent certification (talent code).")
