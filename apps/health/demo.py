"""Demo: two regions with their rules in force, alice green, bob red from a demo case list. Idempotent."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import demo_review, reference_rules, selectors, services
from .models import RuleSetVersion

# bob's fictitious demo ID number (apps/identity/demo.py registers him with it); a plugin cannot import core's demo.
DEMO_CASE_LIST = b"id_number,kind,since\n440305198506154565,confirmed,{since}\n"


def seed(*, stdout) -> None:
    users = get_user_model().objects
    officer = users.filter(username="officer").first()
    if officer is None:
        return
    now = timezone.now()
    for code, name_zh, name_en, prefix, default, title_zh, title_en, rules, tests in reference_rules.REGIONS:
        region = selectors.region_get(code=code) or services.region_upsert(
            code=code, name_zh=name_zh, name_en=name_en, id_prefix=prefix, is_default=default)
        if not RuleSetVersion.objects.filter(region=region, version="1.0.0").exists():
            draft = services.rule_set_draft_save(
                user=officer, region=region, version="1.0.0", title_zh=title_zh, title_en=title_en, rules_=rules,
                test_cases=tests, valid_from=now - dt.timedelta(days=1))
            # The demo city starts as if this version had been published three days ago, past its notice period.
            services.rule_set_publish(user=officer, version=draft, now=now - dt.timedelta(days=3))
    services.rule_sets_activate(now=now)
    alice, bob = users.filter(username="alice").first(), users.filter(username="bob").first()
    if alice is not None and selectors.colour_get(citizen=alice) is None:
        services.citizen_evaluate(citizen=alice)
    if bob is not None and not selectors.case_list_list(organization=services.commission_for(user=officer)).exists():
        content = DEMO_CASE_LIST.replace(b"{since}", (timezone.localdate() - dt.timedelta(days=2)).isoformat().encode())
        case_list, _ = services.case_list_upload(user=officer, content=content, file_format="csv",
                                                 file_name="demo-case-list.csv")
        services.case_list_apply(case_list_id=case_list.pk)
    stdout.write("Health: regions hangzhou (default) and hubei have rules in force; alice is green, bob is red "
                 "(confirmed, on the demo case list); officer/citycode-demo runs the commission's pages.")
    demo_review.seed(stdout=stdout)  # health_code: emergency, a pending manual change, an appeal
