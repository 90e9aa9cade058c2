"""reader_sim: a reader that syncs over HTTP, verifies offline, keeps its taps and uploads them in batches that
keep their id until acknowledged."""

import json
import time

import pytest
from django.core.management import CommandError, call_command

from apps.transit import services
from apps.transit.models import RideAccount, Tap, TapUpload

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args, store, **options):
    from io import StringIO

    out = StringIO()
    call_command("reader_sim", *args, store=str(store), stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_sync_then_scan_offline_then_a_deny_list_update(live_server, tmp_path, bus_reader, rider, phone):
    store = tmp_path / "reader.json"
    online = {"server": live_server.url, "device": bus_reader.device_id, "secret": bus_reader.secret}
    # Given a reader that synced once
    assert "deny list v0" in _run("sync", store=store, **online)
    # When it scans the rider's code with no server at all
    offline = {"server": "http://127.0.0.1:9", "device": bus_reader.device_id}
    code = phone.code()
    out = _run("scan", code, store=store, **offline)
    # Then it accepts, and the same code again is a replay (the seen-list survives between runs)
    assert "ACCEPT" in out
    assert "REFUSE replayed" in _run("scan", code, store=store, **offline)
    state = json.loads(store.read_text())
    assert [t["direction"] for t in state["taps"]] == ["board"] and state["refused"] == 1
    # When the rider falls into arrears and the reader syncs the delta
    services.account_arrears_enter(account=RideAccount.objects.get(citizen=rider), reason="charge_failed")
    assert "deny list v1 (1 denied)" in _run("sync", store=store, **online)
    # Then the next code is refused offline
    assert "REFUSE deny_listed" in _run("scan", phone.code(), store=store, **offline)


def test_an_upload_that_fails_keeps_the_batch_and_its_id(live_server, tmp_path, bus_reader, phone):
    store = tmp_path / "reader.json"
    online = {"server": live_server.url, "device": bus_reader.device_id, "secret": bus_reader.secret}
    _run("sync", store=store, **online)
    _run("scan", phone.code(), phone.code(), store=store, device=bus_reader.device_id)
    # When the upload fails (no network)
    with pytest.raises(CommandError, match="offline"):
        _run("upload", store=store, server="http://127.0.0.1:9", device=bus_reader.device_id, secret="x")
    first = json.loads(store.read_text())["batch"]
    # Then the taps are kept as one batch, and a second failed attempt re-sends the very same batch
    assert len(first["taps"]) == 2
    with pytest.raises(CommandError):
        _run("upload", store=store, server="http://127.0.0.1:9", device=bus_reader.device_id, secret="x")
    assert json.loads(store.read_text())["batch"] == first


def test_a_wrong_secret_is_refused_and_scanning_needs_a_package(live_server, tmp_path, bus_reader):
    with pytest.raises(CommandError, match="bad_reader_credential"):
        _run("sync", store=tmp_path / "r.json", server=live_server.url, device=bus_reader.device_id, secret="no")
    with pytest.raises(CommandError, match="no reader package"):
        _run("scan", "TR1:X", store=tmp_path / "r.json", device=bus_reader.device_id)


def test_an_old_code_is_refused_at_the_reader_s_clock(live_server, tmp_path, bus_reader, phone):
    store = tmp_path / "reader.json"
    _run("sync", store=store, server=live_server.url, device=bus_reader.device_id, secret=bus_reader.secret)
    code = phone.code(at=time.time())
    assert "REFUSE code_expired" in _run("scan", code, store=store, device=bus_reader.device_id,
                                         now=time.time() + 120)


def test_taps_upload_once_even_when_the_answer_was_lost(live_server, tmp_path, bus_reader, phone):
    store = tmp_path / "reader.json"
    online = {"server": live_server.url, "device": bus_reader.device_id, "secret": bus_reader.secret}
    _run("sync", store=store, **online)
    _run("scan", phone.code(), phone.code(), store=store, device=bus_reader.device_id)
    before = json.loads(store.read_text())
    # Given a batch that reached the server
    assert "2 new" in _run("upload", store=store, **online)
    assert Tap.objects.filter(reader=bus_reader).count() == 2
    # When its answer was lost, so the reader still holds it as unsent and sends it again (same batch id)
    batch_id = TapUpload.objects.get(reader=bus_reader).batch_id
    store.write_text(json.dumps({**before, "taps": [], "batch": {"batch_id": batch_id, "taps": before["taps"]}}))
    out = _run("upload", store=store, **online)
    # Then the server recognizes the batch and nothing is added
    assert "a replay" in out
    assert Tap.objects.filter(reader=bus_reader).count() == 2
    # And the same taps under a new batch id are known taps (unique per reader): still nothing added
    store.write_text(json.dumps({**before, "batch": None}))
    assert "0 new, 2 already known" in _run("upload", store=store, **online)
    assert Tap.objects.filter(reader=bus_reader).count() == 2
