"""Case lists: matched by keyed ID-number hash, applied set-based, idempotent, all-or-nothing with line numbers."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.health import selectors, services
from apps.health.models import CaseListImport, CaseListRow, CaseRecord, CitizenColour, ColourTransition
from apps.identity import services as identity_services
from apps.identity.models import Organization
from tests.conftest import valid_id_number

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    # The upload queues the matching on commit; the test transaction never commits, so run the callbacks here.
    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.case_list_upload(**kwargs)

    return run


def _csv(*rows: str) -> bytes:
    return ("id_number,kind,since\n" + "".join(f"{r}\n" for r in rows)).encode()


def _state():
    return (CaseRecord.objects.count(), ColourTransition.objects.count(),
            sorted(CitizenColour.objects.values_list("citizen_id", "colour")))


def test_a_case_list_recolours_only_the_citizens_on_it(regions, resident, officer, frozen_now, upload):
    # Given two Hangzhou citizens and one Hubei citizen, all green, and a list naming two of them plus a stranger
    a, a_number = resident("33")
    b, _ = resident("33")
    h, h_number = resident("42")
    for c in (a, b, h):
        services.citizen_evaluate(citizen=c, now=NOW)
    stranger = valid_id_number(region="110101", birth="19700101", sequence="999")
    content = _csv(f"{a_number},close_contact,2022-06-14", f"{h_number},close_contact,2022-06-14",
                   f"{stranger},confirmed,2022-06-14")
    # When the commission uploads it
    case_list, created = upload(user=officer, content=content, file_format="csv", now=NOW)
    case_list.refresh_from_db()
    # Then: 3 rows read, 2 matched, 2 recoloured, each by their own region's rules
    assert created and (case_list.state, case_list.rows_read, case_list.matched, case_list.recoloured) == (
        "done", 3, 2, 2)
    assert selectors.colour_get(citizen=a).colour == "yellow"  # Hangzhou: contact -> yellow
    assert selectors.colour_get(citizen=h).colour == "red"  # Hubei: contact -> red
    assert selectors.colour_get(citizen=b).colour == "green"
    # And the transitions name the list (the data bureau's alert counts per list); the stranger left nothing behind
    assert set(ColourTransition.objects.filter(case_list=case_list).values_list("citizen_id", flat=True)) == {
        a.pk, h.pk}
    assert CaseListRow.objects.count() == 0
    assert CaseRecord.objects.count() == 2


def test_uploading_the_same_file_again_changes_nothing(regions, resident, officer, frozen_now, upload):
    a, a_number = resident("33")
    content = _csv(f"{a_number},confirmed,2022-06-13")
    first, created = upload(user=officer, content=content, file_format="csv", now=NOW)
    before = _state()
    # When the same file is uploaded again
    again, created_again = upload(user=officer, content=content, file_format="csv", now=NOW)
    # Then it is the same import, and nothing changed
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert _state() == before
    assert CaseListImport.objects.count() == 1


def test_a_different_file_with_the_same_rows_recolours_nobody_twice(regions, resident, officer, frozen_now, upload):
    a, a_number = resident("33")
    upload(user=officer, content=_csv(f"{a_number},confirmed,2022-06-13"), file_format="csv",
                              now=NOW)
    before = _state()
    second, _ = upload(user=officer, content=_csv(f"{a_number},confirmed,2022-06-13", ""),
                                          file_format="csv", now=NOW)
    second.refresh_from_db()
    assert (second.state, second.matched, second.recoloured) == ("done", 1, 0)
    assert _state() == before


def test_a_malformed_csv_is_rejected_with_line_numbers_and_nothing_changes(regions, resident, officer, frozen_now,
                                                                          upload):
    # Given a citizen on a list whose other rows are broken
    a, a_number = resident("33")
    services.citizen_evaluate(citizen=a, now=NOW)
    bad_checksum = a_number[:-1] + ("0" if a_number[-1] != "0" else "1")
    content = _csv(f"{a_number},confirmed,2022-06-13", f"{bad_checksum},confirmed,2022-06-13",
                   f"{a_number},drinking,2022-06-13", f"{a_number},confirmed,13/06/2022", "only-two,fields",
                   f"{a_number},confirmed,2099-01-01")
    before = _state()
    # When uploaded
    case_list, _ = upload(user=officer, content=content, file_format="csv", now=NOW)
    # Then the whole file is rejected: every bad row named by its line (the header is line 1), nothing applied
    assert case_list.state == "rejected"
    assert [(e["line"], e["code"]) for e in case_list.errors] == [
        (3, "id_checksum"), (4, "unknown_case_kind"), (5, "invalid_date"), (6, "wrong_columns"),
        (7, "date_in_future")]
    assert _state() == before
    assert selectors.colour_get(citizen=a).colour == "green"
    assert CaseListRow.objects.count() == 0
    # And no error message repeats the ID number it refused
    assert a_number not in json.dumps(case_list.errors) and bad_checksum not in json.dumps(case_list.errors)


def test_a_json_list_is_accepted_and_a_bad_json_rejected(regions, resident, officer, frozen_now, upload):
    a, a_number = resident("42")
    good = json.dumps({"rows": [{"id_number": a_number, "kind": "asymptomatic", "since": "2022-06-14"}]}).encode()
    case_list, _ = upload(user=officer, content=good, file_format="json", now=NOW)
    assert selectors.colour_get(citizen=a).colour == "red"
    broken, _ = upload(user=officer, content=b'[{"id_number": 1,', file_format="json", now=NOW)
    assert broken.state == "rejected" and broken.errors[0]["code"] == "invalid_json"


def test_no_one_but_commission_staff_can_upload(regions, resident, make_citizen, frozen_now, upload):
    from citycode.errors import Forbidden

    # Given a citizen, and staff of another department
    _citizen, number = resident("33")
    outsider = make_citizen()
    other = identity_services.organization_create(slug="police", name="公安局", kind=Organization.Kind.DEPARTMENT)
    police = make_citizen()
    identity_services.membership_set(user=police, organization=other, role="admin")
    for user in (outsider, police):
        with pytest.raises(Forbidden):
            upload(user=user, content=_csv(f"{number},confirmed,2022-06-13"), file_format="csv")
    assert CaseListImport.objects.count() == 0 and CaseRecord.objects.count() == 0


def test_the_api_uploads_reports_progress_and_hides_imports_from_others(api, regions, resident, officer,
                                                                        make_citizen, frozen_now,
                                                                        django_capture_on_commit_callbacks):
    a, a_number = resident("33")
    _token, plain = identity_services.auth_token_issue(user=officer)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    upload = SimpleUploadedFile("list.csv", _csv(f"{a_number},close_contact,2022-06-14"), content_type="text/csv")
    # When the officer uploads through the API, then uploads it again
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/health/case-lists", {"file": upload}, format="multipart")
    upload.seek(0)
    again = api.post("/api/v1/health/case-lists", {"file": upload}, format="multipart")
    progress = api.get(f"/api/v1/health/case-lists/{first.json()['id']}")
    # Then 201, then 200 marked duplicate; the progress shows the counts
    assert first.status_code == 201, first.json()
    assert (again.status_code, again.json()["duplicate"], again.json()["id"]) == (200, True, first.json()["id"])
    assert {k: progress.json()[k] for k in ("state", "rows_read", "matched", "recoloured")} == {
        "state": "done", "rows_read": 1, "matched": 1, "recoloured": 1}
    # And a citizen asking for the same import is refused with a code, never shown the counts
    stranger = make_citizen()
    _t, stranger_token = identity_services.auth_token_issue(user=stranger)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {stranger_token}")
    refused = api.get(f"/api/v1/health/case-lists/{first.json()['id']}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_health_commission")
    bad = api.post("/api/v1/health/case-lists", {"file": SimpleUploadedFile("x.csv", b"a,b\n")}, format="multipart")
    assert (bad.status_code, bad.json()["error"]["code"]) == (403, "not_health_commission")


def test_a_worker_dying_mid_recolour_loses_and_duplicates_nothing(regions, resident, officer, frozen_now,
                                                                  monkeypatch):
    from apps.health import recolour, tasks

    # Given a staged list whose recolour crashes the first time (after the match committed)
    a, a_number = resident("33")
    b, b_number = resident("42")
    monkeypatch.setattr(tasks.case_list_apply, "delay", lambda pk: None)
    case_list, _ = services.case_list_upload(user=officer, content=_csv(f"{a_number},confirmed,2022-06-13",
                                                                        f"{b_number},close_contact,2022-06-13"),
                                             file_format="csv", now=NOW)
    real = recolour.run_in_chunks

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(recolour, "run_in_chunks", crash)
    with pytest.raises(RuntimeError):
        services.case_list_apply(case_list_id=case_list.pk, now=NOW)
    case_list.refresh_from_db()
    assert (case_list.state, case_list.matched) == ("running", 2)
    # When the task is retried
    monkeypatch.setattr(recolour, "run_in_chunks", real)
    services.case_list_apply(case_list_id=case_list.pk, now=NOW)
    services.case_list_apply(case_list_id=case_list.pk, now=NOW)  # and once more, as a duplicate delivery would
    # Then it is done with the same counts, each citizen recoloured once, each case recorded once
    case_list.refresh_from_db()
    assert (case_list.state, case_list.matched, case_list.recoloured) == ("done", 2, 2)
    assert CaseRecord.objects.count() == 2
    assert ColourTransition.objects.filter(case_list=case_list).count() == 2
