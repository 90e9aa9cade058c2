"""Parsing a case list (CSV or JSON) into hashed rows, or into a list of errors with line numbers.

A file is all or nothing: one bad row rejects the whole file (nothing is applied), and every bad row is reported.
The ID numbers are hashed here with the city's key (the value core stores as Citizen.id_hash) and then dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from apps.codes.plugin_api import IdNumberInvalid, id_number_hash

from .models import CASE_KINDS

#: Reported errors are capped (a wholly wrong file would otherwise answer with 100,000 of them); the count is not.
MAX_REPORTED_ERRORS = 200
MAX_ROWS = 1_000_000
COLUMNS = ("id_number", "kind", "since")


@dataclass(frozen=True)
class Row:
    line: int
    id_hash: str
    kind: str
    since: dt.date


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[dict[str, Any]]
    error_count: int
    rows_read: int


def _check(line: int, raw: dict[str, Any], today: dt.date, errors: list[dict[str, Any]]) -> Row | None:
    problems = []
    id_hash = ""
    try:
        id_hash = id_number_hash(str(raw.get("id_number") or ""))
    except IdNumberInvalid as exc:
        problems.append(("id_number", exc.code, str(exc)))
    kind = str(raw.get("kind") or "").strip()
    if kind not in CASE_KINDS:
        problems.append(("kind", "unknown_case_kind", f"kind must be one of {', '.join(CASE_KINDS)}"))
    since: dt.date | None = None
    try:
        since = dt.date.fromisoformat(str(raw.get("since") or "").strip())
        if since > today:
            problems.append(("since", "date_in_future", "since is in the future"))
    except ValueError:
        problems.append(("since", "invalid_date", "since must be a date, YYYY-MM-DD"))
    for field, code, message in problems:
        errors.append({"line": line, "field": field, "code": code, "message": message})
    if problems or since is None:
        return None
    return Row(line=line, id_hash=id_hash, kind=kind, since=since)


def parse(content: bytes, file_format: str, *, today: dt.date) -> Parsed:
    errors: list[dict[str, Any]] = []
    rows: list[Row] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Parsed([], [{"line": 0, "field": "", "code": "not_utf8", "message": "the file is not UTF-8"}], 1, 0)
    records: list[tuple[int, Any]] = []
    if file_format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return Parsed([], [{"line": exc.lineno, "field": "", "code": "invalid_json", "message": exc.msg}], 1, 0)
        items = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return Parsed([], [{"line": 1, "field": "", "code": "invalid_json",
                                "message": "expected a list of rows or {\"rows\": [...]}"}], 1, 0)
        records = [(i + 1, item) for i, item in enumerate(items)]  # "line" is the item's position for JSON
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != list(COLUMNS):
            return Parsed([], [{"line": 1, "field": "", "code": "invalid_header",
                                "message": f"the first line must be {','.join(COLUMNS)}"}], 1, 0)
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            if len(fields) != len(COLUMNS):
                records.append((reader.line_num, None))
                continue
            records.append((reader.line_num, dict(zip(COLUMNS, fields, strict=True))))
    if len(records) > MAX_ROWS:
        return Parsed([], [{"line": 0, "field": "", "code": "too_many_rows",
                            "message": f"at most {MAX_ROWS} rows per file"}], 1, len(records))
    if not records:
        return Parsed([], [{"line": 0, "field": "", "code": "empty_file", "message": "the file has no rows"}], 1, 0)
    for line, raw in records:
        if not isinstance(raw, dict):
            errors.append({"line": line, "field": "", "code": "wrong_columns",
                           "message": f"a row has {len(COLUMNS)} fields: {', '.join(COLUMNS)}"})
            continue
        row = _check(line, raw, today, errors)
        if row is not None:
            rows.append(row)
    return Parsed(rows if not errors else [], errors[:MAX_REPORTED_ERRORS], len(errors), len(records))
