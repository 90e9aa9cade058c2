"""Mutants that cannot change behaviour (equivalent mutants), set aside from the scores with the reason.

Keys are mutmut's (`mutmut results --all true` in .mutation/<target>/). They are tied to the code they were
found in: when a function changes, mutmut renumbers its mutants, so re-check this list after editing one.
"""

EQUIVALENT: dict[str, str] = {
    # (raw or "") -> (raw or "XXXX"): an empty or missing number is refused as id_length either way.
    "apps.identity.idnumbers.x_parse__mutmut_4": "empty input: 0 or 4 characters, both id_length",
}
