"""The ride code on the phone and the reader on a staff phone, in a real browser (Debian's chromium).

The wallet page makes a non-extractable P-256 key, gets a certificate, and signs codes offline; the reader page
decodes QR codes from a photo or a fake camera with jsQR and verifies them with WebCrypto. Each refusal is
checked against the Python reader logic on the same code: the two readers agree."""

import io
import time

import cbor2
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from apps.codes import qr
from apps.codes.plugin_api import b45decode, b45encode
from apps.identity import services as identity_services
from apps.identity.models import Organization
from apps.transit import reader as reader_logic
from apps.transit import ride_code, selectors, services
from apps.transit.models import RideAccount, Tap
from tests.browser.conftest import log_in
from tests.transit.conftest import Phone, jwk_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-for-tests-1"


@pytest.fixture
def operator(make_org):
    return make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR)


@pytest.fixture
def bus_reader(operator):
    line = services.line_create(operator=operator, code="B1", name_zh="1路", name_en="Bus 1", mode="bus")
    reader, secret = services.reader_register(operator=operator, device_id="bus-1-front", kind="bus", line=line)
    reader.secret = secret
    return reader


@pytest.fixture
def rider(make_citizen):
    citizen = make_citizen(username="rider", name="乘客甲")
    account = services.account_open(citizen=citizen, mode=RideAccount.Mode.PREPAID)
    RideAccount.objects.filter(pk=account.pk).update(balance_fen=5000)
    return citizen


def _password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def _package(reader):
    return reader_logic.ReaderPackage.from_json(selectors.reader_package_get(reader=reader))


def _decode(locator) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert results, "no QR code in the screenshot"
    return results[0].text


def test_the_wallet_signs_ride_codes_on_the_phone_and_keeps_going_offline(page, operator, bus_reader, rider):
    # Given the rider signed in on their phone
    log_in(page, _password(rider).username, PASSWORD)
    # When they open the ride code page
    page.goto("/transit/ride-code/")
    root = page.locator("[data-ride-code]")
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    # Then the QR drawn on the phone is a device-signed ride code that the bus reader accepts
    page.screenshot(path="/tmp/ride_code_page.png")
    first = _decode(page.locator("[data-testid=ride-qr]"))
    assert first == root.get_attribute("data-code") and root.get_attribute("data-mode") == "device"
    verified = reader_logic.verify(first, package=_package(bus_reader))
    assert verified.device_bound and verified.operator == "city-bus"
    # And the private key never left the phone: the server holds only the public key of the certificate
    certificate = selectors.certificate_list(account=RideAccount.objects.get(citizen=rider)).get()
    assert set(certificate.device_key) == {"kty", "crv", "x", "y"}
    assert page.evaluate("""async () => {
        const record = await new RideCode.Store("citycode-ride").get("certificate:city-bus");
        try { await crypto.subtle.exportKey("jwk", record.privateKey); return "exported"; }
        catch (e) { return record.privateKey.extractable ? "extractable" : "kept"; } }""") == "kept"
    # When the network is gone and the next refresh comes (the page's clock moved on by a refresh period)
    page.context.set_offline(True)
    drawn = int(root.get_attribute("data-drawn"))
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a refresh now rather than in 20 s
    page.wait_for_function(f"document.querySelector('[data-ride-code]').dataset.drawn > {drawn}")
    second = root.get_attribute("data-code")
    # Then a new code was signed offline, under the same certificate, and it verifies too
    assert second != first
    assert reader_logic.verify(second, package=_package(bus_reader)).pseudonym == verified.pseudonym
    assert selectors.certificate_list(account=RideAccount.objects.get(citizen=rider)).count() == 1
    page.context.set_offline(False)


def test_online_the_wallet_takes_a_new_certificate_with_a_new_key_every_ten_minutes(page, operator, bus_reader,
                                                                                     rider):
    # Given the rider's page, with the browser's clock under the test's control
    page.clock.install()
    log_in(page, _password(rider).username, PASSWORD)
    page.goto("/transit/ride-code/")
    root = page.locator("[data-ride-code]")
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    first = reader_logic.verify(root.get_attribute("data-code"), package=_package(bus_reader))
    # When eleven minutes pass with the page open and online
    page.clock.run_for(11 * 60 * 1000)
    # Then a code from a second certificate appears: another pseudonym (and another device key)
    later = first
    for _attempt in range(50):
        code = root.get_attribute("data-code")
        later = reader_logic.verify(code, package=_package(bus_reader), now=_generated_at(code))
        if later.pseudonym != first.pseudonym:
            break
        page.clock.run_for(20 * 1000)
    assert later.pseudonym != first.pseudonym
    keys = [c.device_key for c in selectors.certificate_list(account=RideAccount.objects.get(citizen=rider))]
    assert len(keys) >= 2 and keys[0] != keys[-1]


def test_the_wallet_page_reloads_and_signs_with_no_network_at_all(page, operator, bus_reader, rider):
    # Given the ride code page loaded once (its service worker installed, the certificate in IndexedDB)
    log_in(page, _password(rider).username, PASSWORD)
    page.goto("/transit/ride-code/")
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the worker controls the page and has kept a copy of it
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    # When the phone loses the network and the page is opened again
    page.context.set_offline(True)
    page.reload()
    # Then the page comes from the worker and a code is signed on the phone, which the reader accepts
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    code = page.locator("[data-ride-code]").get_attribute("data-code")
    assert reader_logic.verify(code, package=_package(bus_reader)).device_bound
    page.context.set_offline(False)


def test_the_wallet_shows_no_code_in_arrears_and_one_again_after_paying(page, operator, bus_reader, rider):
    account = services.account_arrears_enter(account=RideAccount.objects.get(citizen=rider), reason="charge_failed")
    log_in(page, _password(rider).username, PASSWORD)
    page.goto("/transit/ride-code/")
    page.wait_for_selector("[data-ride-code][data-state=blocked]")
    assert page.locator("[data-testid=ride-blocked]").is_visible()
    assert page.locator("[data-ride-code]").get_attribute("data-code") is None
    services.account_arrears_leave(account=account, detail={"paid_fen": 300})
    page.reload()
    page.wait_for_selector("[data-ride-code][data-state=ready]")


def test_the_wallet_page_in_english_and_for_a_rider_without_account(page, operator, make_citizen):
    citizen = _password(make_citizen(username="newcomer", name="新人"))
    log_in(page, citizen.username, PASSWORD)
    page.goto("/transit/ride-code/")
    assert page.locator("[data-testid=ride-title]").inner_text() == "乘车码"  # Chinese by default
    assert "开通预付费乘车账户" in page.locator("[data-testid=open-account]").inner_text()
    page.click("[data-testid=lang-switch]")
    assert page.locator("[data-testid=ride-title]").inner_text() == "Ride code"
    page.click("[data-testid=open-account]")
    page.wait_for_selector("[data-ride-code][data-state=ready]")
    assert RideAccount.objects.get(citizen=citizen).mode == "prepaid"


# -- the reader page ---------------------------------------------------------------------------------------


@pytest.fixture
def staff(make_citizen, operator):
    person = _password(make_citizen(username="driver", name="司机甲"))
    identity_services.membership_set(user=person, organization=operator, role="staff")
    return person


def _photo(tmp_path, code: str, name: str):
    path = tmp_path / f"{name}.png"
    path.write_bytes(qr.render_png.__wrapped__(code, error="M"))
    return str(path)


def _reader_page(page, staff, reader):
    page.clock.install()  # real time, flowing; a test may move the reader's clock (an expired certificate)
    log_in(page, staff.username, PASSWORD)
    page.goto("/transit/reader/")
    page.wait_for_selector("[data-reader][data-ready='1']")
    page.fill("[data-testid=reader-device]", reader.device_id)
    page.fill("[data-testid=reader-secret]", reader.secret)
    page.click("[data-testid=reader-sync]")
    page.wait_for_selector("[data-reader][data-operator=city-bus]")


def _scan(page, tmp_path, code, name):
    scans = int(page.locator("[data-reader]").get_attribute("data-scans") or 0)
    page.set_input_files("[data-testid=reader-photo]", _photo(tmp_path, code, name))
    page.wait_for_function(f"(document.querySelector('[data-reader]').dataset.scans || 0) > {scans}")
    verdict = page.locator("[data-testid=verdict]")
    return verdict.get_attribute("data-outcome"), verdict.get_attribute("data-reason")


def _python_reason(code, reader, now=None):
    record = reader_logic.tap(code, package=_package(reader), seen=reader_logic.SeenList(), now=now)
    return "accept" if record.accepted else record.reason


def test_the_reader_page_accepts_and_refuses_like_the_reader_logic(page, tmp_path, staff, operator, bus_reader,
                                                                    rider, make_org):
    phone = _phone(rider, operator)
    metro = make_org("metro-co", kind=Organization.Kind.TRANSIT_OPERATOR)
    _reader_page(page, staff, bus_reader)
    good = phone.code()
    # A fresh code is accepted; the same code again is a replay
    assert _scan(page, tmp_path, good, "good") == ("accept", "")
    assert _scan(page, tmp_path, good, "again") == ("refuse", "replayed")
    # Tampered certificate, tampered code, an old code, another operator's code: each refused for its reason
    cases = {
        "bad_certificate_signature": _tampered_certificate(phone),
        "bad_code_signature": _tampered_code(phone),
        "code_expired": phone.code(at=time.time() - 45),
        "wrong_operator": _phone(rider, metro).code(),
    }
    for reason, code in cases.items():
        assert _scan(page, tmp_path, code, reason) == ("refuse", reason), reason
        # And the Python reader logic refuses the same code for the same reason
        assert _python_reason(code, bus_reader) == reason
    # An expired certificate: seven hours on (phone and reader clocks alike), the six-hour certificate is over
    later = time.time() + services.CERTIFICATE_LIFETIME.total_seconds() + 3600
    expired = phone.code(at=later)
    page.clock.set_system_time(later)
    assert _scan(page, tmp_path, expired, "expired") == ("refuse", "certificate_expired")
    assert _python_reason(expired, bus_reader, now=later) == "certificate_expired"
    page.clock.set_system_time(time.time())
    # When the rider falls into arrears and the reader downloads the deny-list delta
    services.account_arrears_enter(account=RideAccount.objects.get(citizen=rider), reason="charge_failed")
    page.click("[data-testid=reader-sync]")
    page.wait_for_selector("[data-reader][data-deny-version='1']")
    denied = phone.code()
    # Then the rider's next code is refused as deny-listed, by both readers
    assert _scan(page, tmp_path, denied, "denied") == ("refuse", "deny_listed")
    assert _python_reason(denied, bus_reader) == "deny_listed"
    # And the one accepted tap is uploaded (taps endpoint), once
    page.click("[data-testid=reader-upload]")
    page.wait_for_selector("[data-reader][data-uploaded='1']")
    taps = list(Tap.objects.filter(reader=bus_reader))
    assert len(taps) == 1 and taps[0].direction == "board"
    certificate = selectors.certificate_list(account=RideAccount.objects.get(citizen=rider)).filter(
        operator=operator).get()
    assert taps[0].pseudonym == certificate.pseudonym


def test_a_person_who_is_not_operator_staff_gets_no_reader_page(page, make_citizen, operator):
    citizen = _password(make_citizen(username="someone", name="路人"))
    log_in(page, citizen.username, PASSWORD)
    response = page.goto("/transit/reader/")
    assert response.status == 403 and page.locator("[data-testid=not-staff]").is_visible()
    assert page.goto("/transit/operators/city-bus/readers/").status == 404


def test_operator_staff_see_their_readers(page, staff, bus_reader):
    log_in(page, staff.username, PASSWORD)
    page.goto("/transit/operators/city-bus/readers/")
    rows = page.locator("[data-testid=reader-row]")
    assert rows.count() == 1 and rows.first.get_attribute("data-device") == "bus-1-front"
    # The secret is shown nowhere
    assert bus_reader.secret not in page.content()


# -- helpers that make codes -------------------------------------------------------------------------------


def _phone(citizen, operator) -> Phone:
    key = ec.generate_private_key(ec.SECP256R1())
    issued = services.certificate_issue(account=RideAccount.objects.get(citizen=citizen), operator=operator,
                                        device_jwk=jwk_of(key))
    return Phone(key=key, certificate=issued.encoded)


def _generated_at(code: str) -> int:
    return cbor2.loads(_members(code)[2])[1]


def _members(code):
    return cbor2.loads(b45decode(code[4:])).value


def _tampered_certificate(phone: Phone) -> str:
    certificate = cbor2.loads(phone.certificate)
    claims = cbor2.loads(certificate.value[2])
    claims[ride_code.CLAIM_CONCESSION] = 2  # "senior": cheaper rides
    certificate.value[2] = cbor2.dumps(claims)
    return ride_code.code_encode_device(certificate=cbor2.dumps(certificate), generated_at=int(time.time()),
                                        counter=99, device_key=phone.key)


def _tampered_code(phone: Phone) -> str:
    members = _members(phone.code(at=time.time() - 40))
    certificate, _at, counter = cbor2.loads(members[2])
    members[2] = cbor2.dumps([certificate, int(time.time()), counter])
    return ride_code.PREFIX + b45encode(cbor2.dumps(cbor2.CBORTag(18, members)))


def _y4m(path, png: bytes, frames: int = 20) -> str:
    """A fake camera stream (YUV4MPEG2, 4:2:0) showing one picture, for chromium's
    --use-file-for-fake-video-capture."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    side = 480
    canvas = Image.new("RGB", (640, 480), "white")
    canvas.paste(image.resize((side - 40, side - 40), Image.NEAREST), (100, 20))
    ycbcr = canvas.convert("YCbCr")
    y, cb, cr = ycbcr.split()
    plane = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + plane)
    return str(path)


def test_the_reader_page_scans_a_ride_code_from_the_camera(browser, live_server, tmp_path, staff, operator,
                                                           bus_reader, rider):
    from tests.browser.conftest import CHROMIUM

    # Given a fake camera that films the rider's fresh ride code (a chromium of its own: the camera is a flag)
    code = _phone(rider, operator).code()
    stream = _y4m(tmp_path / "camera.y4m", qr.render_png.__wrapped__(code, error="M"))
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={stream}"])
    try:
        context = camera_browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.set_default_timeout(20000)
        _reader_page(page, staff, bus_reader)
        # When the staff member starts the camera
        page.click("[data-testid=reader-camera]")
        # Then the code is read from the video, verified in the browser and accepted, once
        page.wait_for_selector("[data-testid=verdict][data-outcome=accept]")
        assert page.locator("[data-reader]").get_attribute("data-camera") == "on"
        assert page.locator("[data-reader]").get_attribute("data-pending") == "1"
    finally:
        camera_browser.close()
