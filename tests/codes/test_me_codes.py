"""GET /api/v1/me/codes, /me/codes/{type} and the QR images."""

import datetime as dt
import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from apps.codes import selectors
from apps.identity import services as identity_services
from apps.talent import services as talent_services

pytestmark = pytest.mark.django_db


def certify(citizen, level="B"):
    return talent_services.certification_issue(
        citizen=citizen, level=level, issued_by="市人才服务中心",
        valid_until=timezone.localdate() + dt.timedelta(days=365),
    )


def test_a_certified_citizen_holds_the_city_and_the_talent_code(citizen_api):
    # Given a citizen certified by the talent office
    certify(citizen_api.citizen)
    # When they list their codes
    response = citizen_api.get("/api/v1/me/codes")
    # Then both codes are listed, city first, each with a token that verifies as its type
    assert response.status_code == 200
    codes = response.json()["codes"]
    assert [c["type"] for c in codes] == ["city", "talent"]
    for code in codes:
        verified = selectors.verified_token_get(token=code["token"], expected_type=code["type"])
        assert selectors.token_subject_get(verified=verified) == citizen_api.citizen
        assert code["labels"]["zh-hans"] and code["labels"]["en"]
        assert code["issued_at"] < code["refresh_after"] < code["expires_at"]
        # No live token in any URL (they end up in access logs)
        assert code["token"] not in code["qr_svg_url"] + code["qr_png_url"] + code["qr_url"]
        assert "?" not in code["qr_svg_url"] + code["qr_png_url"] + code["qr_url"]
    # And the response is never stored by a shared cache
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_an_uncertified_citizen_holds_only_the_city_code(citizen_api):
    response = citizen_api.get("/api/v1/me/codes")
    assert [c["type"] for c in response.json()["codes"]] == ["city"]


def test_a_revoked_certification_removes_the_talent_code(citizen_api):
    certification = certify(citizen_api.citizen)
    talent_services.certification_revoke(certification=certification)
    assert [c["type"] for c in citizen_api.get("/api/v1/me/codes").json()["codes"]] == ["city"]
    assert citizen_api.get("/api/v1/me/codes/talent").json()["error"]["code"] == "code_not_held"


def test_labels_follow_the_request_language(citizen_api):
    english = citizen_api.get("/api/v1/me/codes", HTTP_ACCEPT_LANGUAGE="en").json()["codes"][0]
    chinese = citizen_api.get("/api/v1/me/codes", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["codes"][0]
    assert english["label"] == "City code"
    assert chinese["label"] == "城市码"


def test_one_code_type_returns_a_fresh_token(citizen_api):
    # When the device asks for the city code twice, a second apart
    first = citizen_api.get("/api/v1/me/codes/city")
    # Then each answer is a valid city token for this citizen
    assert first.status_code == 200
    body = first.json()
    assert body["type"] == "city"
    verified = selectors.verified_token_get(token=body["token"], expected_type="city")
    # And its life is at most five minutes
    assert verified.expires_at - verified.issued_at <= dt.timedelta(minutes=5)


@pytest.mark.parametrize("path, code", [("/api/v1/me/codes/nope", "unknown_code_type"),
                                        ("/api/v1/me/codes/talent", "code_not_held")])
def test_unknown_or_unheld_codes_are_404(citizen_api, path, code):
    response = citizen_api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == code


def test_codes_need_a_signed_in_citizen(api, make_org):
    # An anonymous caller and an organization's API key are both refused
    assert api.get("/api/v1/me/codes").status_code in (401, 403)
    _client, key = identity_services.api_client_create(organization=make_org("venue-x"), name="gate")
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/me/codes").status_code == 403


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found"
    return results[0].text


def test_the_qr_images_encode_the_token_and_are_private(citizen_api):
    # Given the citizen's city code
    code = citizen_api.get("/api/v1/me/codes").json()["codes"][0]
    # When the PNG and the SVG of that token are drawn, the token sent in the body
    png = citizen_api.post(code["qr_url"], {"token": code["token"], "format": "png"}, format="json")
    svg = citizen_api.post(code["qr_url"], {"token": code["token"]}, format="json")
    # Then the PNG decodes to exactly the token, the SVG is an SVG, and both are private to the citizen
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert _decode(png.content) == code["token"]
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    for response in (png, svg):
        assert "private" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]


def test_without_a_token_the_qr_is_of_a_fresh_one(citizen_api):
    png = citizen_api.get("/api/v1/me/codes/city/qr.png")
    token = _decode(png.content)
    assert selectors.verified_token_get(token=token, expected_type="city")


def test_a_token_in_a_qr_url_is_refused(citizen_api):
    # Given a live token of the citizen
    token = citizen_api.get("/api/v1/me/codes/city").json()["token"]
    # When a client still puts it in the image URL's query string
    response = citizen_api.get("/api/v1/me/codes/city/qr.svg", {"token": token})
    # Then it is refused, so no client keeps leaking live tokens into access logs
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "token_in_url"


def test_nobody_can_draw_someone_elses_token(citizen_api, make_citizen):
    # Given another citizen's city token
    other = make_citizen()
    _t, plain = identity_services.auth_token_issue(user=other)
    from rest_framework.test import APIClient

    other_api = APIClient()
    other_api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    token = other_api.get("/api/v1/me/codes/city").json()["token"]
    # When this citizen asks for its image
    response = citizen_api.post("/api/v1/me/codes/city/qr", {"token": token}, format="json")
    # Then it is not theirs
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "code_not_held"


def test_a_garbage_token_to_draw_is_a_400_with_the_reason(citizen_api):
    response = citizen_api.post("/api/v1/me/codes/city/qr", {"token": "XX1:ABC"}, format="json",
                                HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_prefix"
