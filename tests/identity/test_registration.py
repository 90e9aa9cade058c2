"""Registration under a real name: validation, duplicates (incl. a real race), and the number never leaking."""

import logging
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from apps.identity import idnumbers, realname, services
from apps.identity.models import Citizen, ResidentRecord
from citycode.errors import Conflict
from tests.conftest import PASSWORD, valid_id_number

REGISTER = "/api/v1/citizens"
STANDARD_EXAMPLE = "11010519491231002X"


def _body(id_number: str, *, name: str = "张三", phone: str = "13911112222", username: str | None = None) -> dict:
    body = {"name": name, "id_number": id_number, "phone": phone, "password": PASSWORD}
    if username:
        body["username"] = username
    return body


@pytest.fixture
def full_logs(caplog):
    """Capture every log record at DEBUG, including Django's own non-propagating loggers and SQL."""
    names = ["", "django", "django.request", "django.server", "django.db.backends", "apps", "citycode"]
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if lg.name != "root":
            lg.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    for lg, level in saved:
        lg.setLevel(level)
        if lg.name != "root":
            lg.removeHandler(caplog.handler)


def _every_stored_value() -> list[str]:
    """Every value of every column of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                values.extend(str(v) for v in row if v is not None)
    return values


def _leaks(number: str, text: str) -> bool:
    text = text.upper()
    return number[:17] in text  # the first 17 characters determine the whole number


# --- happy path -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_citizen_registers_and_sees_only_the_masked_number(api):
    # When a citizen registers with the standard's example number
    response = api.post(REGISTER, _body(STANDARD_EXAMPLE, username="zhangsan"), format="json")
    # Then the answer is the uniform 202, the account exists, and signing in shows only the masked form
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "submitted"
    assert STANDARD_EXAMPLE[:17] not in response.content.decode()
    citizen = Citizen.objects.get(username="zhangsan")
    api.force_authenticate(citizen)
    data = api.get("/api/v1/me").json()
    assert data["id_masked"] == "11***************X"
    assert data["username"] == "zhangsan"
    assert citizen.id_hash == idnumbers.keyed_hash(STANDARD_EXAMPLE)
    assert str(citizen.birth_date) == "1949-12-31"
    assert citizen.check_password(PASSWORD)


@pytest.mark.django_db
def test_lower_case_x_registers_as_the_same_number(api):
    response = api.post(REGISTER, _body(STANDARD_EXAMPLE.lower()), format="json")
    assert response.status_code == 202
    assert Citizen.objects.get().id_hash == idnumbers.keyed_hash(STANDARD_EXAMPLE)
    assert Citizen.objects.get().id_masked.endswith("X")


@pytest.mark.django_db
def test_without_a_username_the_phone_becomes_the_login(api):
    response = api.post(REGISTER, _body(valid_id_number(), phone="+86 139-1111-2222"), format="json")
    assert response.status_code == 202
    assert Citizen.objects.get().phone == "13911112222"
    assert Citizen.objects.filter(username="13911112222").exists()


# --- bad input: 400 with a precise code, nothing written -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("11010519491231002", "id_length"),
        ("11010519491231002Y", "id_format"),
        ("99010519491231002X", "id_region"),
        (valid_id_number(birth="19490230"), "id_birth_date"),
        (valid_id_number(birth="18991231"), "id_birth_date"),
        (valid_id_number(birth="20991231"), "id_birth_date"),
        ("110105194912310021", "id_checksum"),
    ],
)
def test_a_bad_id_number_is_refused_with_its_code(api, id_number, code):
    response = api.post(REGISTER, _body(id_number), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["id_number"][0]["code"] == code
    assert not Citizen.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"phone": "12345"}, "phone", "phone_invalid"),
        ({"name": ""}, "name", "blank"),
        ({"password": "short"}, "password", "min_length"),
        ({"password": "83749201745"}, "password", "password_entirely_numeric"),
        ({"username": "a b"}, "username", "invalid"),
    ],
)
def test_other_bad_fields_are_refused_with_their_code(api, change, field, code):
    response = api.post(REGISTER, {**_body(valid_id_number()), **change}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field][0]["code"] == code
    assert not Citizen.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400(api):
    response = api.generic("POST", REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


# --- duplicates ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_answers_alike_whether_the_number_exists_here_in_the_registry_or_nowhere(api, make_citizen):
    # Given a registered citizen (number and phone in use) and a registry that knows one more number
    taken = valid_id_number(sequence="101")
    make_citizen(username="first", name="甲", id_number=taken, phone="13911110000")
    in_registry = valid_id_number(region="440305", sequence="202")
    services.resident_record_upsert(id_number=in_registry, name="乙")

    # When a caller with a used phone tries a registered number, a registry number under the wrong name,
    # a number known nowhere, and (with a fresh phone) the registered number and a taken user name
    attempts = [
        _body(taken, name="丙", phone="13911110000", username="new1"),
        _body(in_registry, name="丙", phone="13911110000", username="new2"),
        _body(valid_id_number(sequence="303"), name="丙", phone="13911110000", username="new3"),
        _body(taken, name="丙", phone="13700000001", username="new4"),
        _body(valid_id_number(sequence="404"), name="丙", phone="13700000002", username="FIRST"),
        _body(in_registry, name="丙", phone="13700000003", username="new6"),
    ]
    responses = [api.post(REGISTER, body, format="json") for body in attempts]

    # Then every answer is the same status and the same bytes (before the fix: 400 real_name_mismatch,
    # 409 already_registered or 409 account_taken, which told the caller which numbers exist)
    assert {r.status_code for r in responses} == {202}
    assert len({r.content for r in responses}) == 1
    for leak in ("first", "甲", taken[:17], "already_registered", "account_taken", "real_name_mismatch"):
        assert leak not in responses[0].content.decode()
    # And nothing was written: uniqueness still holds
    assert Citizen.objects.count() == 1


@pytest.mark.django_db
def test_a_successful_registration_answers_like_a_refused_one(api, make_citizen):
    make_citizen(id_number=valid_id_number(sequence="101"), phone="13911110000")
    refused = api.post(REGISTER, _body(valid_id_number(sequence="101"), phone="13700000009"), format="json")
    created = api.post(REGISTER, _body(valid_id_number(sequence="102"), phone="13700000008"), format="json")
    assert refused.status_code == created.status_code == 202
    assert refused.content == created.content
    assert Citizen.objects.count() == 2


@pytest.mark.django_db
def test_the_service_still_tells_its_callers_inside_why_it_refused(make_citizen):
    # Given a taken number and a taken phone: the service (not the API) keeps the precise codes
    make_citizen(username="taken", id_number=valid_id_number(sequence="101"), phone="13911110000")
    with pytest.raises(Conflict) as number:
        services.citizen_register(name="丙", id_number=valid_id_number(sequence="101"), phone="13700000001",
                                  password=PASSWORD)
    with pytest.raises(Conflict) as phone:
        services.citizen_register(name="丙", id_number=valid_id_number(sequence="102"), phone="13911110000",
                                  password=PASSWORD)
    assert number.value.code == "already_registered"
    assert phone.value.code == "account_taken"


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["13912345678x", "zhangsan-2024", "zhangsan"])
def test_a_password_like_the_phone_or_user_name_is_refused(api, password):
    # Given a password that is the citizen's phone or user name, nearly
    body = _body(valid_id_number(), phone="13912345678", username="zhangsan") | {"password": password}
    # When they register
    response = api.post(REGISTER, body, format="json")
    # Then it is a 400 on the password (before the fix the validator never saw the user)
    assert response.status_code == 400, response.content
    codes = {e["code"] for e in response.json()["error"]["fields"]["password"]}
    assert codes & {"password_too_similar", "password_too_common"}, codes
    assert not Citizen.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_registrations_of_one_number_leave_exactly_one_row():
    # Given PostgreSQL (SQLite serializes writers, so there is no race to lose)
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL")
    number = valid_id_number(region="310104", birth="19921212", sequence="777")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.citizen_register(
                username=f"racer{n}", name="赛跑", id_number=number, phone=f"1360000000{n}", password=PASSWORD
            )
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    # When two threads register the same number at the same moment
    threads = [threading.Thread(target=register, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then exactly one row exists and the loser got the same code as any duplicate (which the API hides)
    assert sorted(outcomes) == ["already_registered", "created"]
    assert Citizen.objects.filter(id_hash=idnumbers.keyed_hash(number)).count() == 1


# --- the full number never leaks ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_full_number_is_in_no_response_no_log_line_and_no_column(api, client, full_logs):
    number, page_number, bad = STANDARD_EXAMPLE, valid_id_number(region="440305", sequence="555"), None
    bad = number[:17] + "0"  # wrong check character
    seen: list[str] = []

    with CaptureQueriesContext(connection) as queries:  # also turns on SQL logging (django.db.backends)
        # When a citizen registers through the API, then someone retries the same number, then a bad one
        for body in (_body(number, username="api1"), _body(number.lower(), phone="13700000001"), _body(bad)):
            seen.append(api.post(REGISTER, body, format="json").content.decode())
        # And another registers through the page, then retries (refused: the form is shown again)
        form = {"name": "李四", "id_number": page_number, "phone": "13822223333", "username": "page1",
                "password": PASSWORD}
        seen.append(client.post("/register/", form, follow=True).content.decode())
        client.logout()
        seen.append(client.post("/register/", {**form, "username": "page2", "phone": "13822224444"}).content.decode())
        # And the signed-in citizen reads their profile
        _token, plain = services.auth_token_issue(user=Citizen.objects.get(username="api1"))
        seen.append(api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").content.decode())

    assert Citizen.objects.filter(username__in=["api1", "page1"]).count() == 2
    assert any("11***************X" in body for body in seen)
    assert len(full_logs.records) > 0 and len(queries) > 0
    log_lines = [record.getMessage() for record in full_logs.records] + [full_logs.text]
    for secret in (number, page_number, bad):
        # Then no response carries it
        assert not any(_leaks(secret, body) for body in seen)
        # Nor any log line, SQL included
        assert not any(_leaks(secret, line) for line in log_lines)
        assert not any(_leaks(secret, q["sql"]) for q in queries.captured_queries)
        # Nor any column of any table
        assert not any(_leaks(secret, value) for value in _every_stored_value())


# --- the pluggable real-name verifier --------------------------------------------------------------------


class RecordingVerifier:
    """A verifier plugged in through settings, as the public-security check would be."""

    calls: list[tuple[str, str]] = []

    def verify(self, *, name, resident_id):
        RecordingVerifier.calls.append((name, resident_id.masked))
        if name == "冒名":
            return realname.Verdict(ok=False, method="test-police", reason="name_mismatch")
        return realname.Verdict(ok=True, method="test-police")


@pytest.mark.django_db
def test_the_verifier_is_chosen_by_settings(api, settings):
    # Given the real-name verifier setting points at another implementation
    settings.CITYCODE_REALNAME_VERIFIER = "tests.identity.test_registration.RecordingVerifier"
    RecordingVerifier.calls.clear()
    # When a citizen registers, Then that verifier decides, and its method is recorded
    ok = api.post(REGISTER, _body(STANDARD_EXAMPLE, name="真名"), format="json")
    assert ok.status_code == 202
    assert Citizen.objects.get().real_name_method == "test-police"
    assert RecordingVerifier.calls == [("真名", "11***************X")]
    # And its refusal writes nothing, and answers like a success
    refused = api.post(REGISTER, _body(valid_id_number(sequence="313"), name="冒名", phone="13700000002"),
                       format="json")
    assert refused.status_code == 202 and refused.content == ok.content
    assert Citizen.objects.count() == 1


@pytest.mark.django_db
def test_the_default_verifier_checks_the_name_against_the_local_registry(api):
    # Given the local registry knows the number under another name
    services.resident_record_upsert(id_number=STANDARD_EXAMPLE, name="李四")
    # When someone registers it under a different name, Then it is refused
    refused = api.post(REGISTER, _body(STANDARD_EXAMPLE, name="张三"), format="json")
    assert refused.status_code == 202
    assert not Citizen.objects.exists()
    # When registered under the registry's name, Then it passes as a registry match
    assert api.post(REGISTER, _body(STANDARD_EXAMPLE, name=" 李四 "), format="json").status_code == 202
    assert Citizen.objects.get().real_name_method == "registry"
    assert ResidentRecord.objects.get().id_hash == idnumbers.keyed_hash(STANDARD_EXAMPLE)


@pytest.mark.django_db
def test_an_unknown_number_passes_on_checksum_unless_strict(api, settings):
    # Given the lenient default, an unknown but valid number passes on its checksum
    assert api.post(REGISTER, _body(STANDARD_EXAMPLE), format="json").status_code == 202
    assert Citizen.objects.get().real_name_method == "checksum"
    # Given strict mode, an unknown number is refused
    settings.CITYCODE_REALNAME_REGISTRY_STRICT = True
    other = valid_id_number(sequence="404")
    refused = api.post(REGISTER, _body(other, phone="13700000003"), format="json")
    assert refused.status_code == 202
    assert Citizen.objects.count() == 1
    # And once the registry knows it, the same registration passes
    services.resident_record_upsert(id_number=other, name="张三")
    assert api.post(REGISTER, _body(other, phone="13700000003"), format="json").status_code == 202
    assert Citizen.objects.count() == 2


# --- the registration page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_answers_a_duplicate_like_a_success_and_signs_nobody_in(client, make_citizen):
    # Given a registered number
    make_citizen(id_number=STANDARD_EXAMPLE)
    form = {"name": "张三", "id_number": STANDARD_EXAMPLE, "phone": "13822225555", "username": "dup",
            "password": PASSWORD}
    fresh = {"name": "李四", "id_number": valid_id_number(sequence="606"), "phone": "13822226666",
             "username": "fresh", "password": PASSWORD}
    # When someone registers it again on the page, and someone else registers a fresh number
    refused = client.post("/register/", form)
    client.logout()
    created = client.post("/register/", fresh)
    # Then both are sent to the sign-in page alike, nobody is signed in, and the number is not echoed
    assert refused.status_code == created.status_code == 302
    assert refused["Location"] == created["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert STANDARD_EXAMPLE[:17] not in client.get("/login/").content.decode()
    assert not Citizen.objects.filter(username="dup").exists()
    assert Citizen.objects.filter(username="fresh").exists()


@pytest.mark.django_db
def test_registration_is_rate_limited_per_address_on_the_api_and_the_page(api, client):
    # Given the configured limit of 20 registrations an hour per address
    for _ in range(20):
        assert api.post(REGISTER, {}, format="json").status_code == 400
    # When the 21st arrives, Then the API says 429 throttled
    response = api.post(REGISTER, _body(valid_id_number()), format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    # And the page shares the same limit (same address)
    page = client.post("/register/", {"name": "x"})
    assert page.status_code == 429
    assert 'data-testid="form-error"' in page.content.decode()
    assert not Citizen.objects.exists()


@pytest.mark.django_db
def test_a_user_name_cannot_be_someone_elses_phone_number(api, make_citizen):
    # Given a citizen who signs in with her phone number (her user name is something else)
    victim = make_citizen(username="meiling", phone="13966667777")
    # When someone registers with her phone number as their user name (and a phone of their own)
    response = api.post(REGISTER, _body(valid_id_number(sequence="903"), username="13966667777",
                                        phone="13800001234"), format="json")
    # Then it is refused with a field error, and no second account answers to her phone number
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["fields"]["username"][0]["code"] == "username_is_phone"
    assert not Citizen.objects.filter(username="13966667777").exists()
    # And signing in with her phone still reaches her account
    token = api.post("/api/v1/auth/token", {"username": "13966667777", "password": PASSWORD}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert api.get("/api/v1/me").json()["username"] == victim.username


@pytest.mark.django_db(transaction=True)
def test_two_racing_blind_registrations_of_one_number_answer_alike_and_leave_one_row():
    # Given PostgreSQL, and two callers registering one number at the same moment through the blind service
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL")
    number = valid_id_number(region="310104", birth="19921212", sequence="778")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            citizen = services.citizen_register_blind(
                username=f"blind{n}", name="赛跑", id_number=number, phone=f"1360000001{n}", password=PASSWORD
            )
            outcomes.append("created" if citizen else "refused")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then the unique index decided, the loser got the quiet refusal (no IntegrityError, no 500), one row exists
    assert sorted(outcomes) == ["created", "refused"]
    assert Citizen.objects.filter(id_hash=idnumbers.keyed_hash(number)).count() == 1
