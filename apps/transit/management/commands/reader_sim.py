"""A bus reader in a terminal: it syncs its package, verifies ride codes offline, keeps its taps, and uploads them
when it is back online, exactly like a validator on a bus (apps/transit/reader.py does the verifying).

    python manage.py reader_sim --server http://127.0.0.1:8000 --device demo-bus-1 --secret demo-bus-1-secret sync
    python manage.py reader_sim --device demo-bus-1 scan 'TR1:...'          # offline: no server needed
    python manage.py reader_sim --server http://127.0.0.1:8000 --device demo-bus-1 --secret ... upload
    python manage.py reader_sim --device demo-bus-1 status

Everything the reader knows lives in one JSON file (``--store``, default ``~/.citycode/reader-<device>.json``):
the package with its accumulated deny list, the seen-list, and the taps with the batch being uploaded. A batch
keeps its id until the server acknowledged it, so a batch re-sent after a lost answer settles nothing twice.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ... import reader as reader_logic

MAX_BATCH = 500
TIMEOUT = 15


def _default_store(device: str) -> Path:
    return Path.home() / ".citycode" / f"reader-{device}.json"


class Command(BaseCommand):
    help = "Simulate a bus reader or metro gate: sync the reader package, scan ride codes offline, upload taps."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["sync", "scan", "upload", "status"])
        parser.add_argument("codes", nargs="*", help="scan: ride codes (TR1:...), or - to read them from stdin")
        parser.add_argument("--server", default=os.environ.get("READER_SERVER", "http://127.0.0.1:8000"))
        parser.add_argument("--device", required=True, help="The reader's device ID.")
        parser.add_argument("--secret", default=os.environ.get("READER_SECRET", ""),
                            help="The reader's secret (or READER_SECRET); needed for sync and upload.")
        parser.add_argument("--store", help="The reader's state file (default ~/.citycode/reader-<device>.json).")
        parser.add_argument("--direction", choices=["board", "in", "out"],
                            help="scan: board (bus, default) or in/out (metro gate; default in).")
        parser.add_argument("--now", type=float, help=argparse.SUPPRESS)  # the reader's clock: tests, replays

    def handle(self, *args: Any, **options: Any) -> None:
        store = Path(options["store"]) if options["store"] else _default_store(options["device"])
        state = _load(store)
        action = options["action"]
        try:
            if action == "sync":
                self._sync(state, options)
            elif action == "scan":
                self._scan(state, options)
            elif action == "upload":
                self._upload(state, options, store)
        finally:
            _save(store, state)  # also when offline: what was scanned, and the batch being sent, are kept
        self._status(state, options)

    # -- actions ----------------------------------------------------------------------------------------------

    def _sync(self, state: dict[str, Any], options: dict[str, Any]) -> None:
        since = state["package"]["deny_list"]["version"] if state.get("package") else 0
        document = _request(options, "GET", f"/api/v1/transit/reader-package?since={since}")
        if state.get("package") and state["package"]["operator"] == document["operator"]:
            package = reader_logic.ReaderPackage.from_state(state["package"])
            package.issuer_keys = reader_logic.ReaderPackage.from_json(
                {**document, "deny_list": {"version": 0, "deltas": []}}).issuer_keys
        else:
            package = reader_logic.ReaderPackage.from_json({**document, "deny_list": {"version": 0, "deltas": []}})
        package.apply_deny_deltas(document["deny_list"]["deltas"], version=document["deny_list"]["version"])
        state["package"] = package.to_state(document)
        self.stdout.write(f"synced: operator {document['operator']}, deny list v{package.deny_version} "
                          f"({len(package.denied)} denied), {len(document['issuer_keys'])} issuer keys")

    def _scan(self, state: dict[str, Any], options: dict[str, Any]) -> None:
        if not state.get("package"):
            raise CommandError("no reader package yet: run `reader_sim ... sync` once while online")
        package = reader_logic.ReaderPackage.from_state(state["package"])
        age = time.time() - state["package"]["issued_at"]
        if age > state["package"]["valid_for_seconds"]:
            self.stderr.write(f"warning: the package is {age / 3600:.0f} h old; sync when back online")
        seen = reader_logic.SeenList.from_json(state.get("seen", []))
        kind = state["package"]["reader"]["kind"]
        direction = options["direction"] or ("board" if kind == "bus" else "in")
        codes = options["codes"]
        if codes == ["-"]:
            codes = [line.strip() for line in sys.stdin if line.strip()]
        if not codes:
            raise CommandError("scan: give one or more ride codes, or '-' to read them from stdin")
        for code in codes:
            record = reader_logic.tap(code, package=package, seen=seen, direction=direction, now=options["now"])
            if record.accepted:
                assert record.verified is not None
                state.setdefault("taps", []).append(record.upload_json())
                health = f", health {record.verified.health_colour}" if record.verified.health_colour else ""
                self.stdout.write(self.style.SUCCESS(
                    f"ACCEPT {record.tap_uid} ({record.verified.concession}, limit {record.verified.fare_limit_fen} "
                    f"fen{health})"))
            else:
                assert record.reason is not None
                state["refused"] = state.get("refused", 0) + 1
                self.stdout.write(self.style.ERROR(
                    f"REFUSE {record.reason}: {reader_logic.REFUSALS[record.reason]}"))
        state["seen"] = seen.to_json()

    def _upload(self, state: dict[str, Any], options: dict[str, Any], store: Path) -> None:
        sent = 0
        while True:
            batch = state.get("batch")
            if batch is None:
                taps = state.get("taps", [])[:MAX_BATCH]
                if not taps:
                    break
                # The batch id is fixed before the first attempt and kept until acknowledged: a retry after a
                # lost answer is the same batch, which the server settles once.
                batch = state["batch"] = {"batch_id": uuid.uuid4().hex, "taps": taps}
                state["taps"] = state["taps"][len(taps):]
                _save(store, state)
            answer = _request(options, "POST", "/api/v1/transit/taps", batch)
            state["batch"] = None
            state["uploaded"] = state.get("uploaded", 0) + len(batch["taps"])
            sent += len(batch["taps"])
            replay = " (a replay of a batch the server already has: nothing added)" if answer.get("replayed") else ""
            self.stdout.write(f"uploaded batch {batch['batch_id']}: {answer.get('new', '?')} new, "
                              f"{answer.get('duplicates', '?')} already known{replay}")
        if not sent:
            self.stdout.write("nothing to upload")

    def _status(self, state: dict[str, Any], options: dict[str, Any]) -> None:
        package = state.get("package")
        pending = len(state.get("taps", [])) + len((state.get("batch") or {}).get("taps", []))
        self.stdout.write(
            f"reader {options['device']}: "
            + (f"operator {package['operator']}, deny list v{package['deny_list']['version']}; " if package else
               "no package; ")
            + f"{pending} taps to upload, {state.get('uploaded', 0)} uploaded, {state.get('refused', 0)} refused"
        )


def _load(store: Path) -> dict[str, Any]:
    if not store.exists():
        return {}
    try:
        state: dict[str, Any] = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the reader's state {store}: {exc}") from None
    return state


def _save(store: Path, state: dict[str, Any]) -> None:
    # Write then rename: a reader switched off mid-write keeps its previous state, never half a file.
    store.parent.mkdir(parents=True, exist_ok=True)
    partial = store.with_suffix(".tmp")
    partial.write_text(json.dumps(state), encoding="utf-8")
    os.replace(partial, store)


def _request(options: dict[str, Any], method: str, path: str, body: Any = None) -> dict[str, Any]:
    if not options["secret"]:
        raise CommandError("--secret (or READER_SECRET) is needed to talk to the server")
    server = options["server"].rstrip("/")
    if not server.startswith(("http://", "https://")):
        raise CommandError(f"--server must be an http(s) URL, not {server!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        server + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Reader {options['device']}:{options['secret']}",
                 "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read().decode("utf-8"))
            return answer
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read().decode("utf-8"))["error"]
            detail = f"{error['code']}: {error['message']}"
        except Exception:
            detail = str(exc)
        raise CommandError(f"{method} {path} answered {exc.code} ({detail}); nothing was lost, try again") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise CommandError(f"offline ({exc}); the taps stay on the reader, upload again later") from None
