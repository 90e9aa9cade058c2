"""Rule sets: epidemiological inputs only, every test case passes before publishing, the notice period, dry runs."""

import copy
import datetime as dt

import pytest

from apps.health import selectors, services
from apps.health.models import CaseRecord, ColourTransition, RuleSetVersion
from apps.health.reference_rules import HUBEI_RULES, HUBEI_TESTS
from citycode.errors import DomainError

from .conftest import NOW

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def _draft(officer, region, version="1.1.0", rules=None, tests=None, valid_from=None):
    return services.rule_set_draft_save(
        user=officer, region=region, version=version, title_zh="规则", title_en="Rules",
        rules_=rules if rules is not None else copy.deepcopy(HUBEI_RULES),
        test_cases=tests if tests is not None else copy.deepcopy(HUBEI_TESTS),
        valid_from=valid_from or NOW + 49 * HOUR)


@pytest.mark.parametrize("foreign", ["finance.deposits", "petition.count", "lifestyle.exercise", "case"])
def test_a_rule_reading_anything_but_epidemiological_evidence_is_refused_at_upload(regions, officer, foreign):
    # Given a rule set where one rule reads a foreign input (the Zhengzhou depositors' "rule"), deep inside
    rules = copy.deepcopy(HUBEI_RULES)
    rules[1]["logic"] = {"or": [rules[1]["logic"], {">": [{"var": foreign}, 0]}]}
    # When it is uploaded, then it is refused with its code, naming the input, and nothing is stored
    with pytest.raises(DomainError) as refused:
        _draft(officer, regions["hubei"], rules=rules)
    assert refused.value.code == "rule_input_not_epidemiological"
    assert foreign in refused.value.message
    assert not RuleSetVersion.objects.filter(version="1.1.0").exists()


@pytest.mark.parametrize("logic", [{"var": {"cat": ["finance", ".deposits"]}}, {"log": [1]}, {"a": 1, "b": 2}])
def test_computed_inputs_and_unknown_operators_are_refused_too(regions, officer, logic):
    rules = copy.deepcopy(HUBEI_RULES)
    rules[0]["logic"] = logic
    with pytest.raises(DomainError) as refused:
        _draft(officer, regions["hubei"], rules=rules)
    assert refused.value.code == "invalid_rule_set"


def test_publishing_needs_every_test_case_to_pass(regions, officer):
    # Given a draft whose test case expects yellow for a confirmed case (the rules say red)
    tests = copy.deepcopy(HUBEI_TESTS)
    tests[1]["expected"] = "yellow"
    draft = _draft(officer, regions["hubei"], tests=tests)
    with pytest.raises(DomainError) as refused:
        services.rule_set_publish(user=officer, version=draft, now=NOW)
    assert refused.value.code == "rule_test_failed"
    # And none at all is no better
    empty = _draft(officer, regions["hubei"], version="1.2.0", tests=[])
    with pytest.raises(DomainError):
        services.rule_set_publish(user=officer, version=empty, now=NOW)
    assert RuleSetVersion.objects.filter(state="published", region=regions["hubei"]).count() == 1


def test_never_in_force_sooner_than_the_notice_period(regions, resident, officer):
    # Given a Hubei citizen who is a close contact since 2 days (red under 1.0.0)
    citizen, _ = resident("42")
    CaseRecord.objects.create(citizen=citizen, kind="close_contact", since=NOW.date() - dt.timedelta(days=2))
    services.citizen_evaluate(citizen=citizen, now=NOW)
    # And a 1.1.0 that makes contacts yellow
    rules = copy.deepcopy(HUBEI_RULES)
    rules[0]["logic"]["and"][0]["in"][1] = ["confirmed", "asymptomatic"]
    rules.append({"id": "HB-YELLOW-CONTACT", "colour": "yellow", "logic": {"and": [
        {"in": [{"var": "case.kind"}, ["close_contact", "secondary_contact"]]}, {"<": [{"var": "case.days"}, 14]}]},
        "reason_code": "contact", "text_zh": "密接为黄码。", "text_en": "Contacts: yellow."})
    tests = [t for t in copy.deepcopy(HUBEI_TESTS) if "contact" not in t["name"]]
    # When it is published to start in 47 hours: refused
    early = _draft(officer, regions["hubei"], rules=rules, tests=tests, valid_from=NOW + 47 * HOUR)
    with pytest.raises(DomainError) as refused:
        services.rule_set_publish(user=officer, version=early, now=NOW)
    assert refused.value.code == "notice_period"
    # When it starts in 48 hours: published, but the old rules stay in force until then
    on_time = _draft(officer, regions["hubei"], rules=rules, tests=tests, valid_from=NOW + 48 * HOUR)
    services.rule_set_publish(user=officer, version=on_time, now=NOW)
    assert services.rule_sets_activate(now=NOW + 47 * HOUR) == []
    assert selectors.colour_get(citizen=citizen).colour == "red"
    # Then when it comes into force the activation recolours the region, recording the version that decided
    assert services.rule_sets_activate(now=NOW + 48 * HOUR) == [on_time.pk]
    colour = selectors.colour_get(citizen=citizen)
    assert (colour.colour, colour.rule_id, colour.rule_set_version.version) == ("yellow", "HB-YELLOW-CONTACT", "1.1.0")
    assert ColourTransition.objects.filter(citizen=citizen, rule_set_version=on_time, to_colour="yellow").exists()
    # And an older version can never be published after it
    older = _draft(officer, regions["hubei"], version="1.0.5", rules=rules, tests=tests, valid_from=NOW + 60 * HOUR)
    with pytest.raises(DomainError) as refused:
        services.rule_set_publish(user=officer, version=older, now=NOW)
    assert refused.value.code == "version_not_newer"


def test_a_published_version_never_changes(regions, officer):
    published = RuleSetVersion.objects.get(region=regions["hubei"], version="1.0.0")
    with pytest.raises(DomainError) as refused:
        _draft(officer, regions["hubei"], version="1.0.0")
    assert refused.value.code == "rule_set_not_draft"
    published.refresh_from_db()
    assert published.rules == HUBEI_RULES


def test_a_dry_run_counts_who_would_change_and_how_and_changes_nobody(regions, resident, officer, frozen_now):
    # Given four Hubei citizens: two close contacts (red), one fever declarant (yellow), one with nothing (green),
    # and a Hangzhou citizen who is a close contact (another region: never counted)
    contacts = [resident("42")[0] for _ in range(2)]
    for c in contacts:
        CaseRecord.objects.create(citizen=c, kind="close_contact", since=NOW.date() - dt.timedelta(days=1))
    feverish, _ = resident("42")
    services.declaration_submit(citizen=feverish, date=NOW.date(), fever=True, symptoms=[], now=NOW)
    healthy, _ = resident("42")
    hz, _ = resident("33")
    CaseRecord.objects.create(citizen=hz, kind="close_contact", since=NOW.date() - dt.timedelta(days=1))
    for c in (*contacts, healthy, hz):
        services.citizen_evaluate(citizen=c, now=NOW)
    before = list(ColourTransition.objects.order_by("pk").values_list("pk", "to_colour"))
    # And a draft under which contacts are yellow and fever alone is green
    rules = [r for r in copy.deepcopy(HUBEI_RULES) if r["id"] != "HB-YELLOW-FEVER"]
    rules[0]["logic"]["and"][0]["in"][1] = ["confirmed", "asymptomatic"]
    rules.append({"id": "HB-YELLOW-CONTACT", "colour": "yellow", "logic": {"and": [
        {"in": [{"var": "case.kind"}, ["close_contact", "secondary_contact"]]}, {"<": [{"var": "case.days"}, 14]}]},
        "reason_code": "contact", "text_zh": "密接为黄码。", "text_en": "Contacts: yellow."})
    draft = _draft(officer, regions["hubei"], rules=rules, tests=[])
    # When the commission dry-runs it
    result = services.rule_set_dry_run(user=officer, version=draft, now=NOW)
    # Then it reports 3 of 4 would change: red->yellow x2, yellow->green x1
    assert (result["evaluated"], result["would_change"]) == (4, 3)
    assert {(m["from"], m["to"]): m["count"] for m in result["moves"]} == {("red", "yellow"): 2, ("yellow", "green"): 1}
    # And nobody's colour changed, nor was anything recorded
    assert list(ColourTransition.objects.order_by("pk").values_list("pk", "to_colour")) == before
    assert selectors.colour_get(citizen=contacts[0]).colour == "red"


def test_only_commission_staff_write_rules(regions, make_citizen):
    outsider = make_citizen()
    with pytest.raises(DomainError) as refused:
        _draft(outsider, regions["hubei"])
    assert refused.value.code == "not_health_commission"


def test_the_rule_set_api_saves_dry_runs_and_refuses_foreign_inputs(api, regions, officer, frozen_now):
    from apps.identity import services as identity_services

    _t, plain = identity_services.auth_token_issue(user=officer)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    body = {"region": "hubei", "version": "2.0.0", "title_zh": "规则", "title_en": "Rules", "rules": HUBEI_RULES,
            "test_cases": HUBEI_TESTS, "valid_from": (NOW + 100 * HOUR).isoformat()}
    saved = api.post("/api/v1/health/rule-sets", body, format="json")
    assert saved.status_code == 201, saved.json()
    dry = api.post(f"/api/v1/health/rule-sets/{saved.json()['id']}/dry-run")
    assert dry.status_code == 200 and dry.json()["would_change"] == 0
    bad = copy.deepcopy(HUBEI_RULES)
    bad[0]["logic"] = {"<": [{"var": "finance.deposits"}, 1]}
    refused = api.post("/api/v1/health/rule-sets", {**body, "version": "2.0.1", "rules": bad}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "rule_input_not_epidemiological")
    early = api.post(f"/api/v1/health/rule-sets/{saved.json()['id']}/publish")
    assert early.status_code == 200 and early.json()["state"] == "published"
