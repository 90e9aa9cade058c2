"""Reads for the health app. Never writes (a citizen's first colour is written by services.citizen_evaluate)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import (
    CaseListImport,
    CaseListRow,
    CaseRecord,
    CitizenColour,
    ColourTransition,
    Declaration,
    Region,
    RuleSetVersion,
    TestResult,
    TravelRecord,
    Vaccination,
)

#: The citizen references citizen_export_data covers; the code type lists them in ``export_covers``.
EXPORT_COVERS = (
    "health.CitizenColour.citizen",
    "health.ColourTransition.citizen",
    "health.ColourTransition.decided_by",
    "health.CaseRecord.citizen",
    "health.TestResult.citizen",
    "health.Vaccination.citizen",
    "health.TravelRecord.citizen",
    "health.Declaration.citizen",
    "health.CaseListImport.uploaded_by",
    "health.RuleSetVersion.created_by",
    "health.RuleSetVersion.published_by",
    # one hop on: the list and the rule set behind a colour or a case are named in the export (by id and version)
    "health.CitizenColour.case_list",
    "health.CitizenColour.rule_set_version",
    "health.ColourTransition.case_list",
    "health.ColourTransition.rule_set_version",
    "health.CaseRecord.case_list",
    "health.CaseListRow.case_list",
)


def colour_get(*, citizen: Any) -> CitizenColour | None:
    return CitizenColour.objects.select_related("region", "rule_set_version").filter(citizen=citizen).first()


def transition_list(*, citizen: Any) -> QuerySet[ColourTransition]:
    return ColourTransition.objects.filter(citizen=citizen).select_related("rule_set_version").order_by("-at", "-id")


def region_get(*, code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("code")


def rule_set_get(*, pk: int) -> RuleSetVersion | None:
    return RuleSetVersion.objects.select_related("region").filter(pk=pk).first()


def rule_set_list(*, region: Region | None = None) -> QuerySet[RuleSetVersion]:
    versions = RuleSetVersion.objects.select_related("region")
    return versions.filter(region=region) if region is not None else versions


def case_list_get(*, pk: int, organization: Any) -> CaseListImport | None:
    return CaseListImport.objects.filter(pk=pk, organization=organization).first()


def case_list_list(*, organization: Any) -> QuerySet[CaseListImport]:
    return CaseListImport.objects.filter(organization=organization).order_by("-created_at", "-id")


def declaration_list(*, citizen: Any) -> QuerySet[Declaration]:
    return Declaration.objects.filter(citizen=citizen).order_by("-date")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def citizen_export_get(*, citizen: Any) -> dict[str, Any]:
    """Everything apps.health holds about the citizen (PIPL Art 45), history included. Lists the citizen uploaded or
    rule sets they wrote as staff are named, not copied: their rows are other people's data."""
    colour = colour_get(citizen=citizen)
    return {
        "colour": None if colour is None else {
            "case_list": colour.case_list_id,
            "colour": colour.colour, "region": colour.region.code if colour.region else None,
            "rule_set_version": colour.rule_set_version.version if colour.rule_set_version else None,
            "rule_id": colour.rule_id, "reasons": colour.reasons, "next_change_at": _iso(colour.next_change_at),
            "updated_at": _iso(colour.updated_at),
        },
        "transitions": [
            {"from": t.from_colour, "to": t.to_colour, "cause": t.cause, "rule_id": t.rule_id, "reasons": t.reasons,
             "rule_set_version": t.rule_set_version.version if t.rule_set_version else None,
             "reason_code": t.reason_code, "legal_reference": t.legal_reference, "case_list": t.case_list_id,
             "at": _iso(t.at)}
            for t in transition_list(citizen=citizen)
        ],
        "decisions_made_as_officer": ColourTransition.objects.filter(decided_by=citizen).count(),
        "cases": [{"kind": c.kind, "since": _iso(c.since), "case_list": c.case_list_id}
                  for c in CaseRecord.objects.filter(citizen=citizen)],
        "tests": [{"method": t.method, "result": t.result, "sampled_on": _iso(t.sampled_on),
                   "laboratory": t.laboratory} for t in TestResult.objects.filter(citizen=citizen)],
        "vaccinations": [{"dose": v.dose, "vaccinated_on": _iso(v.vaccinated_on), "product": v.product}
                         for v in Vaccination.objects.filter(citizen=citizen)],
        "travel": [{"area": t.area.code, "level": t.area.level, "arrived_on": _iso(t.arrived_on),
                    "left_on": _iso(t.left_on)}
                   for t in TravelRecord.objects.filter(citizen=citizen).select_related("area")],
        "declarations": [{"date": _iso(d.date), "fever": d.fever, "symptoms": d.symptoms}
                         for d in declaration_list(citizen=citizen)],
        # As an officer: the lists they uploaded, counted, never their rows (those are other people's data).
        "case_lists_uploaded": [
            {"id": c.pk, "state": c.state, "rows_read": c.rows_read, "matched": c.matched,
             "recoloured": c.recoloured, "rows_pending": CaseListRow.objects.filter(case_list=c).count(),
             "created_at": _iso(c.created_at)}
            for c in CaseListImport.objects.filter(uploaded_by=citizen)
        ],
        "rule_sets_written": [
            {"region": v.region.code, "version": v.version, "published": v.published_by_id == citizen.pk}
            for v in RuleSetVersion.objects.filter(created_by=citizen).select_related("region")
        ] + [
            {"region": v.region.code, "version": v.version, "published": True}
            for v in RuleSetVersion.objects.filter(published_by=citizen).exclude(created_by=citizen)
            .select_related("region")
        ],
    }


#: The name the health code type's export() calls (agreed with health_code); the selector is citizen_export_get.
citizen_export_data = citizen_export_get
