"""The talent code (a department plugin) passes the shared code-type contract."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.talent import services
from tests.codes.contract import CodeTypeContract


class TestTalentCodeContract(CodeTypeContract):
    code_type_key = "talent"

    @pytest.fixture
    def holder(self, make_citizen):
        citizen = make_citizen(name="人才甲")
        services.certification_issue(citizen=citizen, level="B", issued_by="市人才服务中心",
                                     valid_until=timezone.localdate() + dt.timedelta(days=365))
        return citizen
