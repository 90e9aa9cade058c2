"""The e-licence code type passes the shared code-type contract."""

import pytest

from tests.codes.contract import CodeTypeContract


class TestLicenceCodeContract(CodeTypeContract):
    code_type_key = "licence"

    @pytest.fixture
    def holder(self, licence):
        return licence.citizen
