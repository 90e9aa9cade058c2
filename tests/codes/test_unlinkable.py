"""Unlinkable rotating codes (issue 7, finding 4) and the issuer check on QR images (finding 15)."""

import datetime as dt
import zlib

import cwt
import pytest
from cwt import COSEKey
from django.utils import timezone

from apps.codes import selectors, services, tokens, wallet
from apps.codes.plugin_api import registry as code_types
from apps.talent import services as talent_services
from citycode.errors import NotFound

pytestmark = pytest.mark.django_db

# What a reader may see repeat across two tokens of one citizen: the issuer, the code type, the key id, and
# the claims the code type must show offline. Times are allowed to repeat only by coincidence of the clock,
# so the tokens below are issued at different moments.
ALLOWED_TO_REPEAT = {tokens.CLAIM_ISS, tokens.CLAIM_TYPE}


def _cose(token: str) -> bytes:
    data = tokens.b45decode(token[4:])
    return zlib.decompress(data) if token.startswith(tokens.PREFIX_ZLIB) else data


def _visible_values(token: str) -> dict:
    """Every value a reader sees in a token, by where it sits: each claim, and each nested claim value."""
    fields = tokens.token_fields(token)
    seen = {}
    for key, value in fields.items():
        if key == tokens.CLAIM_CLAIMS:
            for name, inner in value.items():
                seen[("claims", name)] = inner
        else:
            seen[key] = value
    return seen


@pytest.fixture
def certified(make_citizen):
    citizen = make_citizen(name="王芳")
    talent_services.certification_issue(citizen=citizen, level="B", issued_by="市人才服务中心",
                                        valid_until=timezone.localdate() + dt.timedelta(days=300))
    return citizen


def _issue(citizen, code_type, seconds_ago):
    kind = code_types.get(code_type)
    claims = kind.claims_for(citizen)
    offline = {name: value for name, value in claims.items() if name in kind.offline_claims}
    return services.token_issue(citizen=citizen, code_type=code_type, claims=offline, lifetime=kind.lifetime,
                                now=timezone.now() - dt.timedelta(seconds=seconds_ago))


def test_two_city_codes_and_two_talent_codes_share_nothing_but_the_allowed_values(api, certified):
    # Given two city codes and two talent codes of one citizen, as the wallet issues them
    # (ten seconds apart: one second apart, two issues straddling a second boundary on a loaded machine shared an iat)
    issued = [_issue(certified, "city", -40), _issue(certified, "city", -20),
              _issue(certified, "talent", -30), _issue(certified, "talent", -10)]
    # Then no value a reader sees repeats across any two of them, apart from the allowed ones
    allowed = set(ALLOWED_TO_REPEAT)
    for code_type in ("city", "talent"):
        allowed |= {("claims", name) for name in code_types.get(code_type).offline_claims}
    for i, first in enumerate(issued):
        for second in issued[i + 1:]:
            a, b = _visible_values(first.token), _visible_values(second.token)
            shared = {key for key in a.keys() & b.keys() if a[key] == b[key]} - allowed
            # a value moved to another claim would link them too
            crossed = {repr(value) for value in a.values()} & {repr(value) for value in b.values()}
            crossed -= {repr(a[key]) for key in allowed & a.keys()}
            assert shared == set() and crossed == set(), (first.token, second.token)
    # And the talent level and validity are not in the token at all (a verifier gets them through consent)
    for item in issued[2:]:
        assert tokens.CLAIM_CLAIMS not in tokens.token_fields(item.token)
    # And the independent `cwt` library verifies all four from the published JWKS alone
    jwks = [COSEKey.from_jwk(jwk) for jwk in api.get("/.well-known/jwks.json").json()["keys"]]
    for item in issued:
        claims = cwt.decode(_cose(item.token), jwks, no_verify=False)
        assert claims[1] == "CC" and claims[2] == item.sub and claims[7] == item.cti
    # And the city still resolves every one of them to the citizen
    for item in issued:
        assert selectors.token_subject_get(verified=selectors.verified_token_get(token=item.token)) == certified


def test_the_wallet_writes_only_offline_claims_into_the_token(certified):
    # Given the talent code, whose claims_for() returns the level and validity
    held = wallet.held_code_issue(citizen=certified, code_type="talent")
    # Then none of them is in the token (the talent code declares no offline claims)
    assert code_types.get("talent").offline_claims == frozenset()
    assert tokens.token_fields(held.issued.token).get(tokens.CLAIM_CLAIMS) is None


def test_the_city_code_still_fits_200_characters(certified):
    for _ in range(20):
        assert len(wallet.held_code_issue(citizen=certified, code_type="city").issued.token) <= 200


def test_a_peer_citys_code_carrying_alices_handle_is_not_drawn_as_her_qr(make_citizen):
    from tests.codes.test_trust import PeerCity

    # Given alice's city code (its sub and cti are readable by any verifier)
    alice = make_citizen(name="李爱丽")
    fields = tokens.token_fields(wallet.held_code_issue(citizen=alice, code_type="city").issued.token)
    # And a recognized peer city that signs a code with exactly her sub and cti
    peer = PeerCity()
    services.trust_list_import(document=peer.trust_list(), pin_jwk=peer.jwk)
    forged = peer.issue(code_type="city", sub=fields[tokens.CLAIM_SUB], cti=fields[tokens.CLAIM_CTI])
    assert selectors.verified_token_get(token=forged).issuer == "SZ"
    # When alice's QR is asked for with that token
    with pytest.raises(NotFound) as refused:
        wallet.held_code_qr(citizen=alice, code_type="city", token=forged, image_format="svg")
    # Then it is not drawn as hers
    assert refused.value.code == "code_not_held"


def test_pooled_handles_are_used_once_and_resolve_like_direct_ones():
    from apps.codes import keys

    # Given more handles than one pool holds
    drawn = [keys.fresh_handle(code_type="city", citizen_pk=42) for _ in range(600)]
    # Then every cti is new, and each handle is the direct encryption of the number under its cti
    assert len({cti for cti, _sub in drawn}) == len(drawn)
    for cti, sub in drawn[:5] + drawn[-5:]:
        assert sub == keys.subject_handle(code_type="city", citizen_pk=42, cti=cti)
        assert keys.subject_pk(code_type="city", sub=sub, cti=cti) == 42


def test_a_forked_child_never_reuses_the_parents_pooled_handles():
    import os

    from apps.codes import caches, keys

    # Given a parent process with a filled pool
    keys.fresh_handle(code_type="city", citizen_pk=1)
    assert caches.handle_pools
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it inherited the pool, then exits at once
        os.write(write, b"1" if caches.handle_pools else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    # Then the child started with empty pools (it would otherwise hand out the parent's ctis again)
    assert os.read(read, 1) == b"0"
