"""The health code passes the shared code-type contract (during an emergency, when every citizen holds it)."""

import pytest
from django.utils import timezone

from apps.health import purpose_keys, review_services, services
from tests.codes.contract import CodeTypeContract


class TestHealthCodeContract(CodeTypeContract):
    code_type_key = "health"
    # During an emergency covering epidemic control, every real-name citizen holds a health code.
    everyone_holds = True

    @pytest.fixture
    def holder(self, make_citizen, emergency, officer):
        citizen = make_citizen(name="健康码持有人")
        services.colour_set(citizen=citizen, to_colour="yellow", cause="manual", reason_code="medium_risk_area",
                            legal_reference="test", decided_by=officer)
        return citizen

    @pytest.fixture
    def non_holder(self, make_citizen, emergency):
        return make_citizen(name="路人甲")

    def offline_view(self, claims: dict) -> dict:
        # The colour is sealed with a fresh IV per token: compare what an epidemic-control verifier reads.
        if "c" not in claims:
            return claims
        key = review_services.purpose_key_material(
            key=review_services.purpose_key_ensure(day=timezone.localdate()))
        return {**claims, "c": purpose_keys.KeyRing([key]).open(claims["c"])}
