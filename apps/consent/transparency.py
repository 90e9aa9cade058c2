"""The public data-resource catalogue and the monthly transparency report (issue 12, item 4). Reads only.

The catalogue lists every code type, data category and purpose, each purpose's legal basis and the organizations
that hold a grant for it now: what the city collects, for what, and who may read it (the state's 2022 guideline
on government data asks that every data resource be catalogued). The report counts, per month, organization and
purpose, the disclosures and denials of the consent gate by legal basis, the emergencies in force, and what the
code types add (manual health-colour changes). It is aggregated, and every count between 1 and
``CITYCODE_TRANSPARENCY_MIN_COUNT - 1`` is suppressed (shown as "fewer than N"), so no person can be picked out;
there are no totals over suppressed cells, which would give them away by subtraction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .models import AccessGrant, AccessLog, DataCategory, Emergency, Purpose

DEFAULT_MIN_COUNT = 5
# The counts of each report row, in the order the page shows them.
REPORT_COLUMNS = ("disclosed_consent", "disclosed_statutory", "disclosed_emergency", "disclosed_unrecorded", "denied")


def min_count() -> int:
    return int(getattr(settings, "CITYCODE_TRANSPARENCY_MIN_COUNT", DEFAULT_MIN_COUNT))


def suppressed(count: int) -> dict[str, Any]:
    """A published count: the number, or none with ``suppressed`` when it is small enough to point at someone."""
    threshold = min_count()
    if 0 < count < threshold:
        return {"count": None, "suppressed": True}
    return {"count": count, "suppressed": False}


def _grant_row(grant: AccessGrant) -> dict[str, Any]:
    proposal = getattr(grant, "proposal", None)
    return {"organization": grant.organization.slug, "organization_name": grant.organization.display_name,
            "organization_kind": grant.organization.kind, "valid_from": grant.valid_from.isoformat(),
            "valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
            "legal_reference": proposal.legal_reference if proposal is not None else ""}


def public_catalogue_get(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every code type, data category and active purpose, with the grants in force: the public catalogue."""
    from apps.codes.plugin_api import registry

    now = now or timezone.now()
    grants: dict[int, list[dict[str, Any]]] = {}
    for grant in (AccessGrant.objects.filter(state=AccessGrant.State.ACTIVE).select_related("organization", "proposal")
                  .order_by("organization__slug")):
        if grant.status_at(now) == "active" and grant.organization.is_active:
            grants.setdefault(grant.purpose_id, []).append(_grant_row(grant))
    registered = set(registry.registered_keys())
    code_types = [
        {"key": t.key, "label_zh": t.label_zh, "label_en": t.label_en,
         "kind": "built_in" if t.key in registered else "department_defined",
         "lifetime_seconds": int(t.lifetime.total_seconds()),
         "provides": sorted(t.provides), "purposes": [p.code for p in t.purposes],
         "offline_claims": sorted(t.offline_claims)}
        for t in registry.all()
    ]
    categories = [
        {"code": c.code, "label_zh": c.label_zh, "label_en": c.label_en, "sensitive": c.sensitive,
         "epidemic_only": c.epidemic_only}
        for c in DataCategory.objects.order_by("code")
    ]
    purposes = [
        {"code": p.code, "label_zh": p.label_zh, "label_en": p.label_en, "description_zh": p.description_zh,
         "description_en": p.description_en, "legal_basis": p.legal_basis, "retention_days": p.retention_days,
         "categories": sorted(c.code for c in p.categories.all()), "single_use": p.single_use,
         "epidemic_control": p.epidemic_control, "text_version": p.text_version, "grants": grants.get(p.pk, [])}
        for p in Purpose.objects.filter(is_active=True).prefetch_related("categories").order_by("code")
    ]
    emergencies = [_emergency_row(e) for e in Emergency.objects.filter(starts_at__lte=now, ends_at__gt=now)
                   .prefetch_related("purposes").order_by("starts_at")]
    return {"generated_at": now.isoformat(), "code_types": code_types, "categories": categories,
            "purposes": purposes, "emergencies_in_force": emergencies}


def _emergency_row(emergency: Emergency) -> dict[str, Any]:
    return {"name": emergency.name, "legal_reference": emergency.legal_reference,
            "starts_at": emergency.starts_at.isoformat(), "ends_at": emergency.ends_at.isoformat(),
            "purposes": sorted(p.code for p in emergency.purposes.all()), "declared_by": emergency.declared_by_label}


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in the city's time zone, as [start, end)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _by_basis(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        cell = cells.setdefault((row["organization_slug"], row["purpose_code"]), {})
        cell[row["key"]] = cell.get(row["key"], 0) + row["n"]
    return cells


def transparency_report_get(*, year: int, month: int) -> dict[str, Any]:
    """The month's report: per organization and purpose, disclosures by legal basis and denials (small counts
    suppressed); the emergencies in force; the code types' own figures. One aggregate query over the log."""
    from apps.codes.plugin_api import registry

    start, end = month_bounds(year, month)
    logged = AccessLog.objects.filter(created_at__gte=start, created_at__lt=end).exclude(organization_slug="")
    allowed = (logged.filter(outcome=AccessLog.Outcome.ALLOWED).values("organization_slug", "purpose_code", "basis")
               .annotate(n=Count("id")))
    denied = (logged.filter(outcome=AccessLog.Outcome.DENIED).values("organization_slug", "purpose_code")
              .annotate(n=Count("id")))
    bases = {"consent", "statutory", "emergency"}
    # A row past its retention has its basis redacted: it still counts, as "basis no longer recorded".
    cells = _by_basis([{**r, "key": f"disclosed_{r['basis'] if r['basis'] in bases else 'unrecorded'}"}
                       for r in allowed] + [{**r, "key": "denied"} for r in denied])
    rows = [
        {"organization": org, "purpose": purpose, **{k: suppressed(counts.get(k, 0)) for k in REPORT_COLUMNS}}
        for (org, purpose), counts in sorted(cells.items())
    ]
    emergencies = [_emergency_row(e) for e in Emergency.objects.filter(Q(starts_at__lt=end) & Q(ends_at__gt=start))
                   .prefetch_related("purposes").order_by("starts_at")]
    figures = [
        {"code_type": t.key, "label_zh": f.label_zh, "label_en": f.label_en, "organization": f.organization,
         **suppressed(f.count)}
        for t in registry.all() for f in t.transparency(start=start, end=end)
    ]
    return {"month": f"{year:04d}-{month:02d}", "from": start.isoformat(), "until": end.isoformat(),
            "min_count": min_count(), "rows": rows, "emergencies": emergencies, "code_type_figures": figures}
