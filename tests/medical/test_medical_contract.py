"""The medical code passes the shared code-type contract; only a real-name verified citizen holds it."""

import pytest

from apps.identity import services as identity_services
from tests.codes.contract import CodeTypeContract
from tests.conftest import PASSWORD, valid_id_number


class TestMedicalCodeContract(CodeTypeContract):
    code_type_key = "medical"

    @pytest.fixture
    def holder(self, db):
        # Registered against the resident registry, so the name is verified (hospitals register by real name)
        id_number = valid_id_number(sequence="771")
        identity_services.resident_record_upsert(id_number=id_number, name="病人甲")
        return identity_services.citizen_register(username="patient-a", name="病人甲", id_number=id_number,
                                                  phone="13900007771", password=PASSWORD)

    def test_the_holder_is_verified_and_a_checksum_only_citizen_is_not(self, code_type, holder, non_holder):
        assert holder.is_real_name_verified and not non_holder.is_real_name_verified
