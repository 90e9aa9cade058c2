"""Two regions' colour rules as data, modelled on the published practice the issue cites: the demo seeds them, the
tests check every colour path of both. Each is what a commission would upload through the rule-set editor.

- Hangzhou-like (DB3301/T 0305-2020): yellow up to 7 days, red 14; green again after 7 or 14 clean daily check-ins.
- Hubei-2022-like: red for confirmed, asymptomatic, close and secondary contacts and high-risk travel within 14 days;
  yellow for fever, observation (suspected) and medium-risk travel within 14 days.
"""

from typing import Any

SEVERE = ["confirmed", "asymptomatic", "suspected"]
CONTACTS = ["close_contact", "secondary_contact"]


def _rule(id_: str, colour: str, logic: dict[str, Any], reason: str, zh: str, en: str) -> dict[str, Any]:
    return {"id": id_, "colour": colour, "logic": logic, "reason_code": reason, "text_zh": zh, "text_en": en}


def _var(name: str) -> dict[str, Any]:
    return {"var": name}


HANGZHOU_RULES = [
    _rule("HZ-RED-CASE", "red", {"and": [
        {"in": [_var("case.kind"), SEVERE]}, {"<": [_var("case.days"), 28]}, {"<": [_var("clean_days"), 14]}]},
        "case_infection", "确诊、疑似或无症状感染者，14天健康打卡正常前为红码。",
        "Confirmed, suspected or asymptomatic: red until 14 clean daily check-ins."),
    _rule("HZ-RED-POSITIVE", "red", {"and": [
        {"===": [_var("test.result"), "positive"]}, {"<": [_var("test.days"), 28]}, {"<": [_var("clean_days"), 14]}]},
        "positive_test", "核酸或抗原阳性，14天健康打卡正常前为红码。",
        "Positive test: red until 14 clean daily check-ins."),
    _rule("HZ-RED-HIGH-RISK", "red", {"and": [
        {"<": [_var("travel.high_risk_days"), 14]}, {"<": [_var("clean_days"), 14]}]},
        "high_risk_travel", "14天内到过高风险地区，14天健康打卡正常前为红码。",
        "High-risk area within 14 days: red until 14 clean daily check-ins."),
    _rule("HZ-YELLOW-CONTACT", "yellow", {"and": [
        {"in": [_var("case.kind"), CONTACTS]}, {"<": [_var("case.days"), 14]}, {"<": [_var("clean_days"), 7]}]},
        "contact", "密切接触者或次密接，7天健康打卡正常前为黄码。",
        "Close or secondary contact: yellow until 7 clean daily check-ins."),
    _rule("HZ-YELLOW-MEDIUM-RISK", "yellow", {"and": [
        {"<": [_var("travel.medium_risk_days"), 14]}, {"<": [_var("clean_days"), 7]}]},
        "medium_risk_travel", "14天内到过中风险地区，7天健康打卡正常前为黄码。",
        "Medium-risk area within 14 days: yellow until 7 clean daily check-ins."),
    _rule("HZ-YELLOW-UNWELL", "yellow", {"and": [
        {"===": [_var("declaration.unwell"), True]}, {"<=": [_var("declaration.days"), 1]}]},
        "unwell_declared", "申报发热或症状，为黄码。", "Fever or symptoms declared: yellow."),
]

HUBEI_RULES = [
    _rule("HB-RED-CASE", "red", {"and": [
        {"in": [_var("case.kind"), ["confirmed", "asymptomatic", *CONTACTS]]}, {"<": [_var("case.days"), 14]}]},
        "case_or_contact", "确诊、无症状感染者、密接或次密接，14天内为红码。",
        "Confirmed, asymptomatic, close or secondary contact: red for 14 days."),
    _rule("HB-RED-HIGH-RISK", "red", {"<": [_var("travel.high_risk_days"), 14]},
          "high_risk_travel", "14天内有高风险地区旅居史，为红码。", "High-risk area within 14 days: red."),
    _rule("HB-YELLOW-FEVER", "yellow", {"and": [
        {"===": [_var("declaration.fever"), True]}, {"<=": [_var("declaration.days"), 1]}]},
        "fever_declared", "申报发热，为黄码。", "Fever declared: yellow."),
    _rule("HB-YELLOW-OBSERVATION", "yellow", {"and": [
        {"===": [_var("case.kind"), "suspected"]}, {"<": [_var("case.days"), 14]}]},
        "observation", "疑似病例居家观察期间，为黄码。", "Suspected case under home observation: yellow."),
    _rule("HB-YELLOW-MEDIUM-RISK", "yellow", {"<": [_var("travel.medium_risk_days"), 14]},
          "medium_risk_travel", "14天内有中风险地区旅居史，为黄码。", "Medium-risk area within 14 days: yellow."),
]

NOW = "2022-06-15T09:00:00+08:00"


def _case(name: str, evidence: dict[str, Any], expected: str) -> dict[str, Any]:
    return {"name": name, "evidence": evidence, "now": NOW, "expected": expected}


HANGZHOU_TESTS = [
    _case("no evidence", {}, "green"),
    _case("confirmed 3 days ago", {"case": {"kind": "confirmed", "since": "2022-06-12"}}, "red"),
    _case("confirmed, 14 clean check-ins", {"case": {"kind": "confirmed", "since": "2022-05-30"},
                                            "clean_days": 14}, "green"),
    _case("positive test yesterday", {"test": {"result": "positive", "on": "2022-06-14"}}, "red"),
    _case("high-risk area left 5 days ago", {"travel": {"high_risk_left_on": "2022-06-10"}}, "red"),
    _case("close contact 2 days ago", {"case": {"kind": "close_contact", "since": "2022-06-13"}}, "yellow"),
    _case("close contact, 7 clean check-ins", {"case": {"kind": "close_contact", "since": "2022-06-07"},
                                               "clean_days": 7}, "green"),
    _case("medium-risk area left 3 days ago", {"travel": {"medium_risk_left_on": "2022-06-12"}}, "yellow"),
    _case("fever today", {"declaration": {"on": "2022-06-15", "fever": True}}, "yellow"),
    _case("negative test", {"test": {"result": "negative", "on": "2022-06-14"}}, "green"),
]

HUBEI_TESTS = [
    _case("no evidence", {}, "green"),
    _case("confirmed 3 days ago", {"case": {"kind": "confirmed", "since": "2022-06-12"}}, "red"),
    _case("secondary contact yesterday", {"case": {"kind": "secondary_contact", "since": "2022-06-14"}}, "red"),
    _case("close contact 15 days ago", {"case": {"kind": "close_contact", "since": "2022-05-31"}}, "green"),
    _case("high-risk area left 13 days ago", {"travel": {"high_risk_left_on": "2022-06-02"}}, "red"),
    _case("fever today", {"declaration": {"on": "2022-06-15", "fever": True}}, "yellow"),
    _case("suspected 2 days ago", {"case": {"kind": "suspected", "since": "2022-06-13"}}, "yellow"),
    _case("medium-risk area left 3 days ago", {"travel": {"medium_risk_left_on": "2022-06-12"}}, "yellow"),
    _case("symptoms without fever", {"declaration": {"on": "2022-06-15", "fever": False, "unwell": True}}, "green"),
]

REGIONS = [
    # code, name_zh, name_en, id_prefix, is_default, title_zh, title_en, rules, tests
    ("hangzhou", "杭州（示例）", "Hangzhou (model)", "33", True, "杭州式健康码规则", "Hangzhou-style colour rules",
     HANGZHOU_RULES, HANGZHOU_TESTS),
    ("hubei", "湖北（示例）", "Hubei (model)", "42", False, "湖北2022式健康码规则", "Hubei-2022-style colour rules",
     HUBEI_RULES, HUBEI_TESTS),
]
