"""Every colour path of both reference regions, through the real path: evidence rows in the database, the set-based
recolour, the rule engine. Each case also says which rule decided, and that nobody else was touched."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.health import rules as engine
from apps.health import selectors, services
from apps.health.models import CaseRecord, ColourTransition, RiskArea
from apps.health.reference_rules import HANGZHOU_RULES, HANGZHOU_TESTS, HUBEI_RULES, HUBEI_TESTS

from .conftest import NOW

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
TODAY = NOW.date()


def _area(level):
    return RiskArea.objects.create(code=f"area-{level}", name_zh="区", name_en="area", level=level,
                                   risk_from=TODAY - 30 * DAY)


def _evidence(citizen, kind, days_ago):
    on = TODAY - days_ago * DAY
    if kind in ("confirmed", "suspected", "asymptomatic", "close_contact", "secondary_contact"):
        CaseRecord.objects.create(citizen=citizen, kind=kind, since=on)
    elif kind == "positive":
        services.test_result_record(citizen=citizen, method="pcr", result="positive", sampled_on=on)
    elif kind in ("high", "medium"):
        services.travel_record(citizen=citizen, area=_area(kind), arrived_on=on - 2 * DAY, left_on=on)
    elif kind == "fever":
        services.declaration_submit(citizen=citizen, date=TODAY, fever=True, symptoms=[], now=NOW)
    elif kind == "cough":
        services.declaration_submit(citizen=citizen, date=TODAY, fever=False, symptoms=["cough"], now=NOW)


PATHS = [
    # prefix, evidence, days ago, colour, deciding rule
    ("33", None, 0, "green", "default"),
    ("33", "confirmed", 3, "red", "HZ-RED-CASE"),
    ("33", "asymptomatic", 3, "red", "HZ-RED-CASE"),
    ("33", "suspected", 3, "red", "HZ-RED-CASE"),
    ("33", "positive", 1, "red", "HZ-RED-POSITIVE"),
    ("33", "high", 5, "red", "HZ-RED-HIGH-RISK"),
    ("33", "close_contact", 2, "yellow", "HZ-YELLOW-CONTACT"),
    ("33", "secondary_contact", 2, "yellow", "HZ-YELLOW-CONTACT"),
    ("33", "medium", 3, "yellow", "HZ-YELLOW-MEDIUM-RISK"),
    ("33", "fever", 0, "yellow", "HZ-YELLOW-UNWELL"),
    ("33", "cough", 0, "yellow", "HZ-YELLOW-UNWELL"),
    ("33", "close_contact", 20, "green", "default"),
    ("42", None, 0, "green", "default"),
    ("42", "confirmed", 3, "red", "HB-RED-CASE"),
    ("42", "asymptomatic", 3, "red", "HB-RED-CASE"),
    ("42", "close_contact", 13, "red", "HB-RED-CASE"),
    ("42", "secondary_contact", 1, "red", "HB-RED-CASE"),
    ("42", "high", 13, "red", "HB-RED-HIGH-RISK"),
    ("42", "fever", 0, "yellow", "HB-YELLOW-FEVER"),
    ("42", "suspected", 2, "yellow", "HB-YELLOW-OBSERVATION"),
    ("42", "medium", 3, "yellow", "HB-YELLOW-MEDIUM-RISK"),
    ("42", "cough", 0, "green", "default"),
    ("42", "close_contact", 15, "green", "default"),
    ("42", "high", 14, "green", "default"),
]


@pytest.mark.parametrize(("prefix", "kind", "days_ago", "colour", "rule_id"), PATHS,
                         ids=[f"{p[0]}-{p[1]}-{p[2]}d-{p[3]}" for p in PATHS])
def test_every_colour_path_of_both_regions(regions, resident, frozen_now, prefix, kind, days_ago, colour, rule_id):
    # Given a citizen of the region with this one piece of evidence, and a bystander with none
    citizen, _ = resident(prefix)
    bystander, _ = resident(prefix)
    services.citizen_evaluate(citizen=bystander, now=NOW)
    if kind is not None:
        _evidence(citizen, kind, days_ago)
    # When the citizen is evaluated
    services.citizen_evaluate(citizen=citizen, now=NOW)
    # Then the colour and the deciding rule are the path's, from the citizen's region's rule set
    decided = selectors.colour_get(citizen=citizen)
    assert (decided.colour, decided.rule_id) == (colour, rule_id)
    assert decided.region.code == {"33": "hangzhou", "42": "hubei"}[prefix]
    assert decided.rule_set_version.version == "1.0.0"
    # And every change is on record, the bystander's colour untouched
    assert selectors.transition_list(citizen=citizen).first().to_colour == colour
    assert selectors.colour_get(citizen=bystander).colour == "green"
    assert ColourTransition.objects.filter(citizen=bystander).count() == 1


def test_the_reference_test_cases_all_pass():
    for rules, tests in ((HANGZHOU_RULES, HANGZHOU_TESTS), (HUBEI_RULES, HUBEI_TESTS)):
        assert all(outcome["passed"] for outcome in engine.run_test_cases(rules, tests))


def test_a_red_says_when_it_will_turn_green_and_the_beat_turns_it(regions, resident, frozen_now):
    # Given a Hangzhou citizen confirmed three days ago
    citizen, _ = resident("33")
    CaseRecord.objects.create(citizen=citizen, kind="confirmed", since=TODAY - 3 * DAY)
    colour = services.citizen_evaluate(citizen=citizen, now=NOW)
    # Then red, with the reason, turning green after 14 clean daily check-ins (a date, local midnight)
    assert (colour.colour, colour.reasons) == ("red", ["case_infection"])
    assert timezone.localtime(colour.next_change_at).date() == TODAY + 14 * DAY
    # When 14 clean days are declared and the due-recolour runs on the predicted day
    day = TODAY
    for _ in range(14):
        day += DAY
        services.declaration_submit(citizen=citizen, date=day, fever=False, symptoms=[],
                                    now=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))
    # Then (declaring re-evaluated each day) the citizen is green, and never went green early
    history = [t.to_colour for t in reversed(selectors.transition_list(citizen=citizen))]
    assert history == ["red", "green"]
    assert selectors.colour_get(citizen=citizen).colour == "green"


def test_a_colour_transition_can_never_be_updated(regions, resident, frozen_now):
    from django.db import IntegrityError, InternalError, OperationalError, transaction

    citizen, _ = resident("33")
    services.citizen_evaluate(citizen=citizen, now=NOW)
    transition = selectors.transition_list(citizen=citizen).first()
    with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
        ColourTransition.objects.filter(pk=transition.pk).update(to_colour="red")
    transition.refresh_from_db()
    assert transition.to_colour == "green"


def test_colour_set_is_idempotent_and_always_leaves_a_transition(regions, resident, officer):
    citizen, _ = resident("33")
    first = services.colour_set(citizen=citizen, to_colour="yellow", cause="manual", reason_code="close_contact",
                                legal_reference="传染病防治法第三十九条", decided_by=officer)
    again = services.colour_set(citizen=citizen, to_colour="yellow", cause="manual", reason_code="close_contact",
                                decided_by=officer)
    assert again.pk == first.pk
    assert ColourTransition.objects.filter(citizen=citizen).count() == 1
    assert selectors.colour_get(citizen=citizen).colour == "yellow"
