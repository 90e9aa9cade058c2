"""Demo of review (called from the health demo, after bob is red from its case list): an emergency covering
epidemic control, so codes show colours; a second health-commission officer; a manual yellow for alice waiting for
that second officer; bob's appeal against his red. Idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.codes.plugin_api import emergency_active_get, emergency_declare, membership_set, organization_by_slug

from . import review_selectors, review_services, selectors
from .models import Appeal, ManualChange

EMERGENCY_NAME = "市新冠肺炎疫情应急响应（演示）"
LAW = "《中华人民共和国传染病防治法》第三十九条"
SECOND_OFFICER = ("officer2", "卫健委复核员")
# The demo's one password (apps/identity/demo.py); a plugin cannot import core's demo.
DEMO_PASSWORD = "citycode-demo"


def _second_officer(commission: Any) -> Any:
    users = get_user_model()
    username, name = SECOND_OFFICER
    user = users.objects.filter(username=username).first()
    if user is None:
        user = users(username=username, name=name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    membership_set(user=user, organization=commission, role="staff")
    return user


def seed(*, stdout: Any) -> None:
    users = get_user_model()
    commission = organization_by_slug("health-commission")
    officer = users.objects.filter(username="officer").first()
    bureau = users.objects.filter(username="bureau").first()
    bureau2 = users.objects.filter(username="bureau2").first()
    alice = users.objects.filter(username="alice").first()
    bob = users.objects.filter(username="bob").first()
    if None in (commission, officer, bureau, bureau2, alice, bob):
        return
    _second_officer(commission)
    if emergency_active_get(purpose=review_services.EPIDEMIC_CONTROL) is None:
        now = timezone.now()
        emergency_declare(name=EMERGENCY_NAME, legal_reference="《突发公共卫生事件应急条例》第二十五条",
                          purposes=[review_services.EPIDEMIC_CONTROL], starts_at=now,
                          ends_at=now + dt.timedelta(days=30), proposed_by=bureau, approved_by=bureau2)
    # alice: a manual yellow (medium-risk area) waiting for the second officer, who decides it at /health/review/
    if not review_selectors.manual_change_list().filter(citizen=alice).exists() and (
            getattr(selectors.colour_get(citizen=alice), "colour", "green") != "yellow"):
        review_services.manual_change_request(
            requested_by=officer, citizen=alice, to_colour="yellow", reason_code="medium_risk_area",
            legal_reference=LAW, note="行程卡显示到访中风险地区", venue="V-3301-0042", batch="demo-alice")
    # bob: red from the demo case list, and his appeal against it (the commission must answer within 48 hours)
    colour = selectors.colour_get(citizen=bob)
    if colour is not None and colour.colour != "green" and not review_selectors.appeal_list(citizen=bob).exists():
        review_services.appeal_file(citizen=bob, grounds=Appeal.Grounds.NEGATIVE_TEST,
                                    statement="我与该病例同名不同人，核酸检测阴性。",
                                    evidence_reference="NAT-20261127-0042")
    pending = review_selectors.manual_change_list(state=ManualChange.State.PENDING).count()
    stdout.write(f"Health review: emergency “{EMERGENCY_NAME}” in force (colours show); {pending} manual change(s) "
                 f"waiting for a second officer (officer2/{DEMO_PASSWORD}) and bob's appeal at /health/review/.")
