"""Mutants that cannot change behaviour (equivalent mutants), set aside from the scores with the reason.

Keys are mutmut's (`mutmut results --all true` in .mutation/<target>/). They are tied to the code they were
found in: when a function changes, mutmut renumbers its mutants, so re-check this list after editing one.
"""

EQUIVALENT: dict[str, str] = {
    # (raw or "") -> (raw or "XXXX"): an empty or missing number is refused as id_length either way.
    "apps.identity.idnumbers.x_parse__mutmut_4": "empty input: 0 or 4 characters, both id_length",
    # int.from_bytes(..., "big") -> int.from_bytes(...): "big" is the default byte order since Python 3.11.
    "apps.codes.tokens.x_raw_verify__mutmut_13": "default byte order is big",
    "apps.codes.tokens.x_raw_verify__mutmut_20": "default byte order is big",
    "apps.codes.tokens.x_verify__mutmut_133": "default byte order is big",
    "apps.codes.tokens.x_verify__mutmut_149": "default byte order is big",
    # kid.decode("utf-8", ...) -> kid.decode("UTF-8", ...): codec names are case-insensitive.
    "apps.codes.tokens.x_verify__mutmut_116": "codec names are case-insensitive",
    # clock = now if type(now) is float else _epoch(now): the float shortcut turned off; _epoch(a float) is that
    # float, so only a call is added.
    "apps.codes.tokens.x_verify__mutmut_164": "_epoch(float) is the float itself",
    "apps.codes.tokens.x_verify__mutmut_166": "_epoch(float) is the float itself",
    "apps.codes.base45.x_b45decode__mutmut_4": "codec names are case-insensitive",
    # values.find(b"\xff") != -1 -> values.rfind(...) != -1: only "found or not" is used.
    "apps.codes.base45.x_b45decode__mutmut_12": "find and rfind agree on found / not found",
    # masks = _b45_decode_masks.get(groups) -> None / .get(None): the masks are recomputed on every call,
    # with identical results (only slower).
    "apps.codes.base45.x_b45decode__mutmut_34": "cache bypassed, same masks",
    "apps.codes.base45.x_b45decode__mutmut_35": "cache bypassed, same masks",
    # values[: 3 * groups] -> values[: 4 * groups]: the (at most two) tail characters then sit above bit
    # 24 * groups, and every mask used on `digits` (byte_mask after >> 0, 8, 16) is zero there.
    "apps.codes.base45.x_b45decode__mutmut_61": "tail characters fall outside every mask",
    # Purpose.__str__ returns the code, so str(purpose) equals purpose.code.
    "apps.consent.services.gate.x__decide__mutmut_2": "str(Purpose) is its code",
    # values_list(flat=True) without a field name yields the primary key, like values_list("id", flat=True).
    "apps.consent.services.gate.x__decide__mutmut_30": "flat values_list defaults to the primary key",
    # On SQLite the JSON column always comes back as text, so the non-text branch never runs there; on
    # PostgreSQL (a list) both mutants break every consent test. mutmut runs on SQLite: set aside, not killed.
    "apps.consent.gate_queries.x_decision_rows__mutmut_32": "SQLite-only equivalent (JSON as text)",
    "apps.consent.gate_queries.x_decision_rows__mutmut_35": "SQLite-only equivalent (JSON as text)",
    # The PostgreSQL branches of the gate never run on SQLite, where mutmut runs: with the vendor test
    # mutated the SQLite path (which also works on PostgreSQL) is taken, and the one-statement append is
    # exercised on PostgreSQL by tests/consent (and its SQL by the hand-written SQL mutants in CI).
    "apps.consent.services.gate.x__chain_append__mutmut_4": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x__chain_append__mutmut_5": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x__chain_append__mutmut_6": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x__chain_append__mutmut_7": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x__chain_append__mutmut_8": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x__chain_append__mutmut_9": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x_disclose__mutmut_3": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x_disclose__mutmut_6": "SQLite: PostgreSQL branch not run",
    "apps.consent.services.gate.x_disclose__mutmut_7": "SQLite: PostgreSQL branch not run",
}
