"""Writes for the health app: colours (always with a transition), evidence, case lists, rule sets."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError, Forbidden, organization_by_slug, staff_acts_for

from . import caselists, recolour, rules
from .errors import HealthErrorCode
from .models import (
    COLOURS,
    CaseListImport,
    CaseListRow,
    CitizenColour,
    ColourTransition,
    Declaration,
    Region,
    RiskArea,
    RuleSetVersion,
    Symptom,
    TestResult,
    TravelRecord,
    Vaccination,
)

SEMVER = re.compile(r"^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$")
#: Citizens recoloured per transaction while applying a case list: each chunk commits and updates the progress.
RECOLOUR_CHUNK = 25_000


def commission_for(*, user: Any) -> Any:
    """The health commission, if this person acts for it; else Forbidden. Every commission write starts here."""
    organization = organization_by_slug(settings.CITYCODE_HEALTH_COMMISSION)
    if organization is None or not staff_acts_for(user=user, organization=organization):
        raise Forbidden(HealthErrorCode.NOT_HEALTH_COMMISSION,
                        _("Only staff of the health commission may do this."))
    return organization


# -- colours -------------------------------------------------------------------------------------------------------


@transaction.atomic
def colour_set(*, citizen: Any, to_colour: str, cause: str, reason_code: str = "", legal_reference: str = "",
               decided_by: Any = None, detail: dict[str, Any] | None = None, case_list: CaseListImport | None = None,
               rule_set_version: RuleSetVersion | None = None, rule_id: str = "",
               reasons: list[str] | None = None) -> ColourTransition:
    """Set the citizen's colour and record the transition, in one transaction. Idempotent: setting the colour the
    citizen already has writes nothing and returns the transition that gave it."""
    if to_colour not in COLOURS or cause not in ColourTransition.Cause.values:
        raise DomainError(HealthErrorCode.INVALID_COLOUR_CHANGE, _("Unknown colour or cause."))
    current = CitizenColour.objects.select_for_update().filter(citizen=citizen).first()
    if current is not None and current.colour == to_colour:
        latest = ColourTransition.objects.filter(citizen=citizen).order_by("-at", "-id").first()
        if latest is not None:
            return latest
    now = timezone.now()
    transition = ColourTransition(
        citizen=citizen, from_colour=current.colour if current else "", to_colour=to_colour, cause=cause,
        rule_set_version=rule_set_version, rule_id=rule_id, reasons=reasons or ([reason_code] if reason_code else []),
        reason_code=reason_code, legal_reference=legal_reference, decided_by=decided_by, case_list=case_list,
        detail=detail or {}, at=now)
    transition.full_clean(exclude=["citizen", "decided_by", "rule_set_version", "case_list"])
    transition.save()
    if current is None:
        current = CitizenColour(citizen=citizen)
    current.colour = to_colour
    current.rule_set_version = rule_set_version
    current.rule_id = rule_id
    current.reasons = transition.reasons
    current.case_list = case_list
    # A colour set by a person stays until a person or a new rule evaluation changes it: no predicted change.
    current.next_change_at = None
    current.updated_at = now
    current.save()
    return transition


def citizen_evaluate(*, citizen: Any, now: dt.datetime | None = None) -> CitizenColour | None:
    """Evaluate the rules in force for the citizen's region and apply the result (the same set-based path as a
    city-wide recolour, for one citizen). ``None`` when the citizen's region has no rules in force."""
    recolour.run(recolour.Selection.citizen(citizen.pk), cause=ColourTransition.Cause.RULE, now=now)
    return CitizenColour.objects.filter(citizen=citizen).first()


# -- evidence ------------------------------------------------------------------------------------------------------


@transaction.atomic
def declaration_submit(*, citizen: Any, date: dt.date, fever: bool, symptoms: list[str],
                       now: dt.datetime | None = None) -> Declaration:
    """The citizen's declaration for today (or yesterday, for a late one), then their colour re-evaluated."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if date not in (today, today - dt.timedelta(days=1)):
        raise DomainError(HealthErrorCode.DECLARATION_DATE, _("You can declare for today or yesterday only."))
    unknown = sorted(set(symptoms) - set(Symptom.values))
    if unknown:
        raise DomainError(HealthErrorCode.UNKNOWN_SYMPTOM,
                          _("Unknown symptom: %(names)s.") % {"names": ", ".join(unknown)})
    if Declaration.objects.filter(citizen=citizen, date=date).exists():
        raise DomainError(HealthErrorCode.ALREADY_DECLARED, _("You have already declared for this day."))
    symptoms = sorted(set(symptoms))
    declaration = Declaration(citizen=citizen, date=date, fever=fever, symptoms=symptoms,
                              unwell=bool(fever or symptoms))
    declaration.full_clean(exclude=["citizen"], validate_unique=False)
    declaration.save()
    citizen_evaluate(citizen=citizen, now=now)
    return declaration


@transaction.atomic
def test_result_record(*, citizen: Any, method: str, result: str, sampled_on: dt.date,
                       laboratory: str = "") -> TestResult:
    test = TestResult(citizen=citizen, method=method, result=result, sampled_on=sampled_on, laboratory=laboratory)
    test.full_clean(exclude=["citizen"])
    test.save()
    citizen_evaluate(citizen=citizen)
    return test


@transaction.atomic
def vaccination_record(*, citizen: Any, dose: int, vaccinated_on: dt.date, product: str = "") -> Vaccination:
    vaccination = Vaccination(citizen=citizen, dose=dose, vaccinated_on=vaccinated_on, product=product)
    vaccination.full_clean(exclude=["citizen"])
    vaccination.save()
    citizen_evaluate(citizen=citizen)
    return vaccination


@transaction.atomic
def risk_area_declare(*, code: str, name_zh: str, name_en: str, level: str, risk_from: dt.date,
                      risk_until: dt.date | None = None) -> RiskArea:
    area = RiskArea(code=code, name_zh=name_zh, name_en=name_en, level=level, risk_from=risk_from,
                    risk_until=risk_until)
    area.full_clean()
    area.save()
    return area


@transaction.atomic
def travel_record(*, citizen: Any, area: RiskArea, arrived_on: dt.date, left_on: dt.date) -> TravelRecord:
    travel = TravelRecord(citizen=citizen, area=area, arrived_on=arrived_on, left_on=left_on)
    travel.full_clean(exclude=["citizen", "area"])
    travel.save()
    citizen_evaluate(citizen=citizen)
    return travel


@transaction.atomic
def region_upsert(*, code: str, name_zh: str, name_en: str, id_prefix: str = "", is_default: bool = False) -> Region:
    region = Region.objects.filter(code=code).first() or Region(code=code)
    region.name_zh, region.name_en, region.id_prefix, region.is_default = name_zh, name_en, id_prefix, is_default
    region.full_clean()
    region.save()
    return region


# -- case lists ----------------------------------------------------------------------------------------------------


def case_list_upload(*, user: Any, content: bytes, file_format: str, file_name: str = "",
                     now: dt.datetime | None = None) -> tuple[CaseListImport, bool]:
    """Validate and hash a case list and queue it for matching. Returns (import, created).

    The same file from the same commission returns the first import and does nothing (idempotent). A file with any
    bad row is stored as rejected, with its errors and line numbers, and nothing of it is applied."""
    organization = commission_for(user=user)
    if file_format not in ("csv", "json"):
        raise DomainError(HealthErrorCode.INVALID_CASE_LIST, _("A case list is CSV or JSON."))
    digest = hashlib.sha256(content).hexdigest()
    existing = CaseListImport.objects.filter(organization=organization, file_sha256=digest).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    parsed = caselists.parse(content, file_format, today=timezone.localtime(now).date())
    with transaction.atomic():
        case_list = CaseListImport.objects.create(
            organization=organization, uploaded_by=user, file_name=file_name[:200], file_sha256=digest,
            file_format=file_format, rows_read=parsed.rows_read, created_at=now,
            state=CaseListImport.State.REJECTED if parsed.errors else CaseListImport.State.QUEUED,
            errors=parsed.errors + ([{"line": 0, "field": "", "code": "more_errors",
                                      "message": f"{parsed.error_count - len(parsed.errors)} more errors"}]
                                    if parsed.error_count > len(parsed.errors) else []),
            finished_at=now if parsed.errors else None)
        if not parsed.errors:
            _stage_rows(case_list, parsed.rows)
            from . import tasks

            transaction.on_commit(lambda: tasks.case_list_apply.delay(case_list.pk))
    return case_list, True


def _stage_rows(case_list: CaseListImport, rows: list[caselists.Row]) -> None:
    if connection.vendor == "postgresql":
        # COPY: the 100,000-row list stages in a fraction of what INSERTs take
        with connection.cursor() as cursor, cursor.cursor.copy(  # psycopg 3 under Django
            "COPY health_caselistrow (case_list_id, line, id_hash, kind, since) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((case_list.pk, row.line, row.id_hash, row.kind, row.since))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE health_caselistrow")  # the match joins it to a million citizens: plan with its size
        return
    CaseListRow.objects.bulk_create(
        [CaseListRow(case_list=case_list, line=r.line, id_hash=r.id_hash, kind=r.kind, since=r.since) for r in rows],
        batch_size=2000)


def case_list_apply(*, case_list_id: int, now: dt.datetime | None = None) -> CaseListImport:
    """Match the staged rows to citizens, record their cases, and recolour those citizens in chunks (each chunk
    commits and updates the progress). Safe to run again after a crash: every step is idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        case_list = CaseListImport.objects.select_for_update().get(pk=case_list_id)
        if case_list.state not in (CaseListImport.State.QUEUED, CaseListImport.State.RUNNING):
            return case_list
    if case_list.state == CaseListImport.State.QUEUED:
        _case_list_match(case_list, now)
    _case_list_recolour(case_list, now)
    case_list.refresh_from_db()
    return case_list


@transaction.atomic
def _case_list_match(case_list: CaseListImport, now: dt.datetime) -> None:
    """Match the staged rows and record the cases, then drop the rows: one transaction, so a crash leaves the import
    queued with its rows (and a re-run starts over), never half-matched."""
    case_list = CaseListImport.objects.select_for_update().get(pk=case_list.pk)
    if case_list.state != CaseListImport.State.QUEUED:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM health_caselistrow r JOIN identity_citizen c ON c.id_hash = r.id_hash "
            "WHERE r.case_list_id = %s", [case_list.pk])
        matched = cursor.fetchone()[0]
        cursor.execute(
            """INSERT INTO health_caserecord (citizen_id, kind, since, case_list_id, created_at)
               SELECT c.id, r.kind, r.since, r.case_list_id, %s FROM health_caselistrow r
               JOIN identity_citizen c ON c.id_hash = r.id_hash WHERE r.case_list_id = %s
               ON CONFLICT (citizen_id, kind, since) DO NOTHING""", [now, case_list.pk])
        # Rows that matched nobody describe people who are not citizens here: they go now.
        cursor.execute("DELETE FROM health_caselistrow WHERE case_list_id = %s", [case_list.pk])
        if connection.vendor == "postgresql":
            # 90,000 new case records: without fresh statistics the recolour's planner takes the table for
            # empty and picks nested loops (a 100,000-row list took 49 s to apply instead of about 15)
            cursor.execute("ANALYZE health_caserecord")
    case_list.state = CaseListImport.State.RUNNING
    case_list.matched = matched
    case_list.save(update_fields=["state", "matched"])


def _case_list_recolour(case_list: CaseListImport, now: dt.datetime) -> None:
    """Recolour the citizens the list's cases name, in chunks that each commit and advance the progress. Re-running
    it after a crash recolours again from the evidence: chunks already applied change nothing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_id FROM health_caserecord WHERE case_list_id = %s ORDER BY citizen_id",
                       [case_list.pk])
        ids = [row[0] for row in cursor.fetchall()]
    bounds = [ids[i] for i in range(RECOLOUR_CHUNK - 1, len(ids), RECOLOUR_CHUNK)]
    selections, after = [], 0
    for upto in [*bounds, None]:
        selections.append(recolour.Selection.case_list(case_list.pk, after_id=after, upto_id=upto))
        after = upto or 0
    # A re-run after a crash counts on from what the chunks already committed (those change nobody again).
    base = CaseListImport.objects.get(pk=case_list.pk).recoloured

    def progress(outcome: recolour.Outcome) -> None:
        CaseListImport.objects.filter(pk=case_list.pk).update(recoloured=base + outcome.changed)

    outcome = recolour.run_in_chunks(selections, cause=ColourTransition.Cause.IMPORT, now=now, progress=progress)
    CaseListImport.objects.filter(pk=case_list.pk).update(
        state=CaseListImport.State.DONE, recoloured=base + outcome.changed, finished_at=timezone.now())


# -- rule sets -----------------------------------------------------------------------------------------------------


def _semver(version: str) -> tuple[int, int, int]:
    match = SEMVER.match(version or "")
    if not match:
        raise DomainError(HealthErrorCode.INVALID_RULE_SET, _("The version must be semantic: MAJOR.MINOR.PATCH."))
    return int(match[1]), int(match[2]), int(match[3])


def _validated(rules_: Any) -> list[dict[str, Any]]:
    try:
        return rules.validate_rules(rules_)
    except rules.RuleSetInvalid as exc:
        if exc.not_epidemiological:
            raise DomainError(
                HealthErrorCode.RULE_INPUT_NOT_EPIDEMIOLOGICAL,
                _("A rule may read only epidemiological evidence; refused: %(names)s.")
                % {"names": ", ".join(exc.not_epidemiological)},
                fields={"rules": exc.problems}) from None
        raise DomainError(HealthErrorCode.INVALID_RULE_SET, _("The rule set is not valid."),
                          fields={"rules": exc.problems}) from None


@transaction.atomic
def rule_set_draft_save(*, user: Any, region: Region, version: str, title_zh: str, title_en: str,
                        rules_: Any, test_cases: Any, valid_from: dt.datetime,
                        valid_until: dt.datetime | None = None) -> RuleSetVersion:
    """Create or replace a draft version of a region's rules. Refused if any rule names a non-epidemiological input."""
    commission_for(user=user)
    major, minor, patch = _semver(version)
    validated = _validated(rules_)
    if not isinstance(test_cases, list):
        raise DomainError(HealthErrorCode.INVALID_RULE_SET, _("Test cases must be a list."))
    draft = RuleSetVersion.objects.select_for_update().filter(region=region, version=version).first()
    if draft is not None and draft.state != RuleSetVersion.State.DRAFT:
        raise DomainError(HealthErrorCode.RULE_SET_NOT_DRAFT,
                          _("A published rule set never changes: save a new version."))
    draft = draft or RuleSetVersion(region=region, version=version, created_by=user)
    draft.major, draft.minor, draft.patch = major, minor, patch
    draft.title_zh, draft.title_en = title_zh, title_en
    draft.rules, draft.test_cases = validated, test_cases
    draft.valid_from, draft.valid_until = valid_from, valid_until
    draft.last_dry_run = {}
    draft.full_clean(exclude=["region", "created_by", "published_by"], validate_unique=False)
    draft.save()
    return draft


def rule_set_dry_run(*, user: Any, version: RuleSetVersion, now: dt.datetime | None = None) -> dict[str, Any]:
    """How many of the region's citizens this version would recolour, and how, if it were in force now. Writes no
    colour; the result is kept on the draft for the editor."""
    commission_for(user=user)
    outcome = recolour.run(recolour.Selection.region(version.region_id), cause=ColourTransition.Cause.RULE,
                           now=now, dry=True, rule_sets={version.region_id: version})
    result = {
        "evaluated": outcome.evaluated, "would_change": outcome.changed, "fact_sets": outcome.fact_sets,
        "moves": [{"from": f or None, "to": t, "count": n} for (f, t), n in sorted(outcome.moves.items())],
        "tests": rules.run_test_cases(version.rules, version.test_cases),
        "at": (now or timezone.now()).isoformat(),
    }
    RuleSetVersion.objects.filter(pk=version.pk).update(last_dry_run=result)
    return result


@transaction.atomic
def rule_set_publish(*, user: Any, version: RuleSetVersion, now: dt.datetime | None = None) -> RuleSetVersion:
    """Publish a draft: every test case must pass, the version must be newer than any published one of the region,
    and it may not come into force sooner than the notice period (CertLogic's 48 hours by default)."""
    commission_for(user=user)
    now = now or timezone.now()
    version = RuleSetVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != RuleSetVersion.State.DRAFT:
        raise DomainError(HealthErrorCode.RULE_SET_NOT_DRAFT, _("Only a draft can be published."))
    outcomes = rules.run_test_cases(version.rules, version.test_cases)
    if not outcomes or not all(o["passed"] for o in outcomes):
        raise DomainError(HealthErrorCode.RULE_TEST_FAILED,
                          _("Every test case must pass before publishing (and there must be at least one)."),
                          fields={"test_cases": [o for o in outcomes if not o["passed"]]
                                  or [{"name": "", "passed": False, "error": "no test cases"}]})
    notice = dt.timedelta(hours=settings.CITYCODE_HEALTH_RULE_NOTICE_HOURS)
    if version.valid_from < now + notice:
        raise DomainError(
            HealthErrorCode.NOTICE_PERIOD,
            _("A rule set comes into force no sooner than %(hours)s hours after publication (earliest: %(at)s).")
            % {"hours": settings.CITYCODE_HEALTH_RULE_NOTICE_HOURS, "at": (now + notice).isoformat()})
    newest = (RuleSetVersion.objects.filter(region=version.region_id, state=RuleSetVersion.State.PUBLISHED)
              .order_by("-major", "-minor", "-patch").first())
    if newest is not None and (newest.major, newest.minor, newest.patch) >= (version.major, version.minor,
                                                                             version.patch):
        raise DomainError(HealthErrorCode.VERSION_NOT_NEWER,
                          _("The version must be newer than the published %(version)s.") % {"version": newest.version})
    version.state = RuleSetVersion.State.PUBLISHED
    version.published_by = user
    version.published_at = now
    version.full_clean(exclude=["region", "created_by", "published_by"], validate_unique=False)
    version.save()
    return version


def rule_sets_activate(*, now: dt.datetime | None = None) -> list[int]:
    """Recolour each region whose newest published rule set has come into force and has not been applied yet
    (the beat task). Returns the versions applied."""
    now = now or timezone.now()
    applied = []
    for version in RuleSetVersion.objects.filter(state=RuleSetVersion.State.PUBLISHED, applied_at__isnull=True,
                                                 valid_from__lte=now).order_by("valid_from"):
        if recolour.rule_set_in_force(version.region_id, now) == version:
            recolour.run(recolour.Selection.region(version.region_id), cause=ColourTransition.Cause.RULE, now=now)
        RuleSetVersion.objects.filter(pk=version.pk).update(applied_at=now)
        applied.append(version.pk)
    return applied


def colours_due_recolour(*, now: dt.datetime | None = None) -> int:
    """Recolour everyone whose colour was predicted to change by now (the beat task). Returns how many changed."""
    return recolour.run(recolour.Selection.due(now or timezone.now()), cause=ColourTransition.Cause.RULE,
                        now=now).changed
