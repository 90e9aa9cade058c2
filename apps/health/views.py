"""The health commission's pages: case-list import with live progress, and the rule-set editor with test cases and a
dry run. Thin: each view calls one service or selector; a refusal is shown with its code."""

import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.codes.plugin_api import DomainError

from . import rules, selectors, services


def _refused(request, exc):
    return render(request, "health/refused.html", {"refusal": exc}, status=exc.status_code)


@login_required
@require_http_methods(["GET", "POST"])
def case_lists(request):
    try:
        organization = services.commission_for(user=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or JSON file.")
        else:
            file_format = "json" if upload.name.lower().endswith(".json") else "csv"
            case_list, _created = services.case_list_upload(user=request.user, content=upload.read(),
                                                            file_format=file_format, file_name=upload.name)
            return HttpResponseRedirect(reverse("health-case-list", args=[case_list.pk]))
    return render(request, "health/case_lists.html", {
        "imports": selectors.case_list_list(organization=organization)[:20], "error": error,
    }, status=400 if error else 200)


@login_required
def case_list(request, pk: int):
    try:
        organization = services.commission_for(user=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    found = selectors.case_list_get(pk=pk, organization=organization)
    if found is None:
        raise Http404
    return render(request, "health/case_list.html", {"case_list": found})


def _editor_initial(version) -> dict:
    return {
        "region": version.region.code, "version": "", "title_zh": version.title_zh, "title_en": version.title_en,
        "rules": json.dumps(version.rules, ensure_ascii=False, indent=2),
        "test_cases": json.dumps(version.test_cases, ensure_ascii=False, indent=2),
        "valid_from": (timezone.localtime() + dt.timedelta(hours=49)).strftime("%Y-%m-%dT%H:%M"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def rule_sets(request):
    try:
        services.commission_for(user=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    regions = list(selectors.region_list())
    base = selectors.rule_set_get(pk=int(request.GET["from"])) if request.GET.get("from", "").isdigit() else None
    form = dict(request.POST.items()) if request.method == "POST" else (_editor_initial(base) if base else {
        "rules": "[]", "test_cases": "[]"})
    refusal, status = None, 200
    if request.method == "POST":
        region = selectors.region_get(code=form.get("region", ""))
        valid_from = parse_datetime(form.get("valid_from", ""))
        try:
            if region is None or valid_from is None:
                raise ValueError(_("Choose a region and the date the rules come into force."))
            if timezone.is_naive(valid_from):
                valid_from = timezone.make_aware(valid_from)
            version = services.rule_set_draft_save(
                user=request.user, region=region, version=form.get("version", ""), title_zh=form.get("title_zh", ""),
                title_en=form.get("title_en", ""), rules_=json.loads(form.get("rules") or "null"),
                test_cases=json.loads(form.get("test_cases") or "null"), valid_from=valid_from)
            return HttpResponseRedirect(reverse("health-rule-set", args=[version.pk]))
        except json.JSONDecodeError as exc:
            refusal, status = {"code": "invalid_json", "message": str(exc)}, 400
        except ValueError as exc:
            refusal, status = {"code": "invalid_rule_set", "message": str(exc)}, 400
        except DomainError as exc:
            refusal, status = {"code": exc.code, "message": exc.message,
                               "problems": (exc.fields or {}).get("rules", [])}, exc.status_code
    return render(request, "health/rule_sets.html", {
        "regions": regions, "versions": selectors.rule_set_list().order_by("region__code", "-major", "-minor",
                                                                             "-patch"),
        "form": form, "refusal": refusal, "vocabulary": rules.VOCABULARY.items(),
    }, status=status)


@login_required
def rule_set(request, pk: int):
    try:
        services.commission_for(user=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    version = selectors.rule_set_get(pk=pk)
    if version is None:
        raise Http404
    return render(request, "health/rule_set.html", {
        "version": version, "tests": rules.run_test_cases(version.rules, version.test_cases),
        "dry_run": version.last_dry_run or None, "refusal": None,
    })


@login_required
@require_POST
def rule_set_dry_run(request, pk: int):
    version = selectors.rule_set_get(pk=pk)
    if version is None:
        raise Http404
    try:
        services.rule_set_dry_run(user=request.user, version=version)
    except DomainError as exc:
        return _refused(request, exc)
    return HttpResponseRedirect(reverse("health-rule-set", args=[pk]) + "#dry-run")


@login_required
@require_POST
def rule_set_publish(request, pk: int):
    version = selectors.rule_set_get(pk=pk)
    if version is None:
        raise Http404
    try:
        services.rule_set_publish(user=request.user, version=version)
    except DomainError as exc:
        return render(request, "health/rule_set.html", {
            "version": version, "tests": rules.run_test_cases(version.rules, version.test_cases),
            "dry_run": version.last_dry_run or None, "refusal": exc}, status=exc.status_code)
    return HttpResponseRedirect(reverse("health-rule-set", args=[pk]))
