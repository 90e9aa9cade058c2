"""The insurance split as a pure function: worked examples in whole fen, one rule at a time."""

import pytest

from apps.medical.billing.insurance import InsurerRefused, SimulatedInsurer, Terms, Used, split

EMPLOYEE = Terms(insured=True, deductible=10_000, annual_cap=50_000, ratios={"exam": 7_000, "drug": 8_000},
                 account_balance=5_000)


def _shares(result):
    return [(line.self_paid, line.deductible, line.fund, line.account, line.cash) for line in result.lines]


def test_the_uninsured_pay_everything_in_cash():
    result = split(lines=[("exam", 30_000), ("drug", 5_000)], terms=Terms(insured=False, account_balance=9_999,
                                                                           ratios={"exam": 9_000}))
    assert _shares(result) == [(30_000, 0, 0, 0, 30_000), (5_000, 0, 0, 0, 5_000)]
    assert (result.total, result.fund, result.account, result.cash) == (35_000, 0, 0, 35_000)


def test_the_deductible_comes_first_then_the_ratio_then_the_account_then_cash():
    # CT ¥300 (exam 70%): ¥100 deductible, fund 70% of ¥200 = ¥140; personal ¥160 = account ¥50 + cash ¥110
    # Medicine ¥50 (drug 80%): fund ¥40; personal ¥10, account empty: cash ¥10
    result = split(lines=[("exam", 30_000), ("drug", 5_000)], terms=EMPLOYEE)
    assert _shares(result) == [(0, 10_000, 14_000, 5_000, 11_000), (0, 0, 4_000, 0, 1_000)]
    assert (result.fund, result.account, result.cash, result.deductible) == (18_000, 5_000, 12_000, 10_000)


def test_a_category_without_a_ratio_is_self_paid_and_does_not_meet_the_deductible():
    result = split(lines=[("registration", 1_000), ("exam", 20_000)], terms=EMPLOYEE)
    # Registration: not covered; the account still pays the patient's share
    assert _shares(result)[0] == (1_000, 0, 0, 1_000, 0)
    # The exam meets the whole deductible: fund 70% of ¥100 = ¥70; the account's ¥40 left, then cash
    assert _shares(result)[1] == (0, 10_000, 7_000, 4_000, 9_000)
    assert result.self_paid == 1_000


def test_the_deductible_and_cap_already_used_this_year_count():
    used = Used(deductible=10_000, fund=49_000)
    result = split(lines=[("exam", 10_000)], terms=EMPLOYEE, used=used)
    # Deductible met already; 70% would be ¥70 but only ¥10 is left under the cap
    assert _shares(result) == [(0, 0, 1_000, 5_000, 4_000)]
    # Past the cap the fund pays nothing
    assert split(lines=[("exam", 10_000)], terms=EMPLOYEE, used=Used(deductible=10_000, fund=60_000)).fund == 0


def test_the_fund_rounds_down_to_the_fen_and_every_line_adds_up_exactly():
    # 70% of 3 fen is 2.1 fen: the fund pays 2, the patient the rounding
    result = split(lines=[("exam", 3)], terms=Terms(insured=True, ratios={"exam": 7_000}, annual_cap=10**9))
    assert _shares(result) == [(0, 0, 2, 0, 1)]
    odd = split(lines=[("exam", 999), ("drug", 1_001), ("exam", 12_345)], terms=EMPLOYEE)
    for line in odd.lines:
        assert line.fund + line.account + line.cash == line.amount
        assert all(isinstance(v, int) for v in (line.fund, line.account, line.cash))


def test_a_full_ratio_and_a_zero_amount():
    full = split(lines=[("exam", 5_000), ("exam", 0)], terms=Terms(insured=True, ratios={"exam": 10_000},
                                                                     annual_cap=10**9))
    assert _shares(full) == [(0, 0, 5_000, 0, 0), (0, 0, 0, 0, 0)]


def test_bad_terms_and_negative_lines_are_refused():
    with pytest.raises(ValueError, match="^a ratio is between 0 and 10000 basis points$"):
        Terms(insured=True, ratios={"exam": 10_001})
    with pytest.raises(ValueError, match="^a ratio is between 0 and 10000 basis points$"):
        Terms(insured=True, ratios={"exam": -1})
    Terms(insured=True, ratios={"exam": 0, "drug": 10_000})  # the bounds themselves are fine
    for field in ("deductible", "annual_cap", "account_balance"):
        with pytest.raises(ValueError, match="^coverage amounts cannot be negative$"):
            Terms(insured=True, **{field: -1})
    Terms(insured=True, deductible=0, annual_cap=0, account_balance=0)
    with pytest.raises(ValueError, match="^a line amount cannot be negative$"):
        split(lines=[("exam", -1)], terms=EMPLOYEE)


def test_the_cap_is_shared_by_the_lines_of_a_bill_and_a_rich_account_pays_only_the_patient_share():
    terms = Terms(insured=True, annual_cap=10_000, ratios={"exam": 5_000}, account_balance=1_000_000)
    result = split(lines=[("exam", 12_000), ("exam", 12_000)], terms=terms)
    # The first line takes ¥60 of the ¥100 cap, the second the last ¥40; the account pays the rest of each line
    assert _shares(result) == [(0, 0, 6_000, 6_000, 0), (0, 0, 4_000, 8_000, 0)]
    assert [(line.category, line.ratio, line.eligible) for line in result.lines] == [
        ("exam", 5_000, 12_000), ("exam", 5_000, 12_000)]


def test_the_insurer_refuses_a_pre_settlement_that_no_longer_holds():
    insurer = SimulatedInsurer()
    assert insurer.settle(fund=100, account=50, account_balance=50, cap_left=100, settlement_id=7) == \
        "SIMINS-0000000007"
    with pytest.raises(InsurerRefused) as refused:
        insurer.settle(fund=100, account=51, account_balance=50, cap_left=100, settlement_id=7)
    assert refused.value.reason == "account_balance_changed"
    with pytest.raises(InsurerRefused) as refused:
        insurer.settle(fund=101, account=0, account_balance=50, cap_left=100, settlement_id=7)
    assert refused.value.reason == "annual_cap_reached"


@pytest.mark.django_db
def test_coverage_refuses_unknown_categories_and_ratios_past_full(make_citizen):
    from django.core.exceptions import ValidationError

    from apps.medical import services
    from apps.medical.models import Coverage

    patient = make_citizen()
    for ratios in ({"exam": 10_001}, {"spa": 5_000}, {"exam": 0.7}):
        with pytest.raises(ValidationError):
            services.coverage_set(citizen=patient, year=2026, insured=True, ratios=ratios)
    assert not Coverage.objects.filter(citizen=patient).exists()
    coverage = services.coverage_set(citizen=patient, year=2026, insured=True, ratios={"exam": 7_000})
    services.coverage_set(citizen=patient, year=2026, insured=True, ratios={"drug": 8_000})
    assert dict(coverage.ratios.values_list("category", "ratio_bp")) == {"drug": 8_000}
