"""The contract every code type passes, core's and plugged-in ones alike.

A code type's tests subclass :class:`CodeTypeContract`, set ``code_type_key`` and define a ``holder``
fixture (a citizen who holds the code). Optional: a ``non_holder`` fixture (default: a fresh citizen) and
``everyone_holds = True`` for codes every real-name citizen holds (the city code).
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.codes import selectors, tokens, wallet
from apps.codes.plugin_api import CodeType, CodeTypeRegistry, registry
from apps.consent import selectors as consent_selectors


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings_in(item)


@pytest.mark.django_db
class CodeTypeContract:
    code_type_key: str = ""
    everyone_holds = False
    # A QR of this many alphanumeric characters still scans at a glance (version 10-ish at level M).
    max_token_chars = 300

    # -- fixtures a subclass may override -----------------------------------------------------------------

    @pytest.fixture
    def holder(self):
        raise NotImplementedError("define a `holder` fixture: a citizen who holds this code")

    @pytest.fixture
    def non_holder(self, make_citizen):
        return make_citizen(name="路人甲")

    @pytest.fixture
    def code_type(self) -> CodeType:
        return registry.get(self.code_type_key)

    def offline_view(self, claims: dict) -> dict:
        """What a reader entitled to it reads in a token's claims. A code type that seals a claim afresh for every
        token (the health colour) overrides this to open it, so two issues compare by content."""
        return claims

    def issue(self, code_type, citizen):
        claims = code_type.claims_for(citizen)
        assert claims is not None, "the holder must hold the code"
        return wallet.held_code_issue(citizen=citizen, code_type=code_type.key).issued

    # -- the contract -------------------------------------------------------------------------------------

    def test_it_is_registered_under_its_key_by_an_allowlisted_app(self, code_type, settings):
        assert isinstance(code_type, CodeType)
        assert code_type.key == self.code_type_key
        assert registry.owner(self.code_type_key) in {*settings.CITYCODE_CODE_TYPES, "apps.codes"}

    def test_it_has_labels_in_both_languages(self, code_type):
        assert code_type.labels["zh-hans"].strip() and code_type.labels["en"].strip()
        assert code_type.label("en") == code_type.label_en
        assert code_type.label("zh-hans") == code_type.label_zh

    def test_its_tokens_rotate(self, code_type):
        assert dt.timedelta(0) < code_type.lifetime <= dt.timedelta(hours=24)

    def test_a_second_registration_of_it_is_refused(self, code_type):
        # Given a registry that already holds this code type
        fresh = CodeTypeRegistry(allowed_apps=["tests"])
        fresh.register(type(code_type), app_name="tests")
        # Then registering it again fails
        with pytest.raises(ImproperlyConfigured):
            fresh.register(type(code_type), app_name="tests")

    def test_the_holder_gets_a_token_that_verifies_offline(self, code_type, holder):
        # Given a token issued to the holder
        issued = self.issue(code_type, holder)
        # And the trust list as a device receives it (JSON), with the status lists
        trust_list = tokens.TrustList.from_json(json.loads(json.dumps(selectors.trust_list_payload_get())))
        status_lists = selectors.live_status_lists_get()
        # When it is verified with nothing but those and a clock
        verified = tokens.verify(issued.token, trust_list=trust_list, status_lists=status_lists,
                                 now=timezone.now(), expected_type=code_type.key)
        # Then it carries this type, the holder's pseudonym and the code type's claims
        assert verified.code_type == code_type.key
        assert verified.sub == issued.sub
        assert self.offline_view(verified.claims) == self.offline_view(
            {name: value for name, value in (code_type.claims_for(holder) or {}).items()
             if name in code_type.offline_claims})
        assert selectors.token_subject_get(verified=verified) == holder
        # And it expires within the code type's lifetime
        assert verified.expires_at - verified.issued_at <= code_type.lifetime

    def test_the_token_is_refused_as_another_type(self, code_type, holder):
        issued = self.issue(code_type, holder)
        with pytest.raises(tokens.VerificationFailed) as refused:
            selectors.verified_token_get(token=issued.token, expected_type=f"not-{code_type.key}")
        assert refused.value.reason == "wrong_type"

    def test_the_token_is_short_enough_for_a_quick_scan(self, code_type, holder):
        assert len(self.issue(code_type, holder).token) <= self.max_token_chars

    def test_claims_hold_no_name_id_number_or_phone(self, code_type, holder):
        # Given the holder's claims and the raw token payload
        claims = code_type.claims_for(holder)
        payload = tokens.token_fields(self.issue(code_type, holder).token)
        personal = {v for v in (holder.name, holder.id_masked, holder.phone, holder.username, holder.id_hash) if v}
        # Then no personal value appears anywhere in them
        found = set(_strings_in(claims)) | set(_strings_in(payload))
        assert not {s for s in found for p in personal if p and p in s}
        # And the subject is a pseudonym, not the citizen's id
        assert payload[tokens.CLAIM_SUB] != str(holder.pk)

    def test_claims_are_json_and_cbor_friendly(self, code_type, holder):
        claims = code_type.claims_for(holder)
        assert isinstance(claims, dict)
        assert json.loads(json.dumps(claims)) == claims

    def test_a_citizen_without_the_code_gets_none(self, code_type, non_holder):
        if self.everyone_holds:
            assert code_type.claims_for(non_holder) is not None
        else:
            assert code_type.claims_for(non_holder) is None

    def test_provide_returns_only_the_requested_categories(self, code_type, holder):
        # For each category it provides, asked alone, it answers that one and nothing else
        for category in sorted(code_type.provides):
            assert set(code_type.provide(citizen=holder, categories=(category,))) == {category}
        # Asked for nothing it provides, it answers nothing
        assert code_type.provide(citizen=holder, categories=("no.such_category",)) == {}
        assert code_type.provide(citizen=holder, categories=()) == {}

    def test_provided_categories_are_in_the_consent_catalogue(self, code_type):
        known = set(consent_selectors.category_list().values_list("code", flat=True))
        assert set(code_type.provides) <= known
        assert {c.code for c in code_type.categories} <= known

    def test_declared_purposes_are_synced_into_the_consent_catalogue(self, code_type):
        for purpose in code_type.purposes:
            stored = consent_selectors.purpose_get(code=purpose.code)
            assert stored is not None, purpose.code
            assert set(stored.categories.values_list("code", flat=True)) == set(purpose.categories)
            assert stored.legal_basis == purpose.legal_basis

    def test_present_is_limited_to_the_allowed_categories(self, code_type, holder):
        issued = self.issue(code_type, holder)
        verified = selectors.verified_token_get(token=issued.token)
        allowed = tuple(sorted(code_type.provides))[:1]
        assert set(code_type.present(verified=verified, citizen=holder, categories=allowed)) == set(allowed)
        assert code_type.present(verified=verified, citizen=holder, categories=()) == {}

    def test_its_data_appears_in_the_citizens_export(self, code_type, holder):
        # Given what the code type keeps about the holder, by its own account
        from apps.consent import export

        own = code_type.export(holder)
        # When the holder exports their data
        data = export.export_for(citizen=holder)
        # Then the code type's part is there, as plain JSON
        assert data["code_types"][code_type.key] == json.loads(json.dumps(own))
        # And a code type whose app keeps rows about citizens exports them (and declares which): the holder's
        # part is not empty, and every declared reference belongs to the code type's own app
        app_label = registry.owner(code_type.key).rsplit(".", 1)[-1]
        if code_type.export_covers:
            assert own, f"{code_type.key} declares export_covers but exports nothing for a holder"
            assert all(ref.split(".", 1)[0] == app_label for ref in code_type.export_covers)
        # And no secret of the holder leaks through it
        text = json.dumps(own, ensure_ascii=False)
        assert not any(secret and secret in text for secret in (holder.id_hash, holder.password))
