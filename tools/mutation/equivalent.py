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
    # kid.decode("utf-8", ...) -> kid.decode("UTF-8", ...): codec names are case-insensitive.
    "apps.codes.tokens.x_verify__mutmut_81": "codec names are case-insensitive",
    "apps.codes.base45.x_b45decode__mutmut_4": "codec names are case-insensitive",
}
