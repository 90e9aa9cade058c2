import pytest

from apps.consent import services
from apps.consent.models import AccessLog

pytestmark = pytest.mark.django_db


def test_smoke(alice, library, grant):
    grant(library, "venue.entry")
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice, categories=["identity.adult"])
    assert exc.value.code == "no_consent"
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"], organization=library)
    d = services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert d.categories == ("identity.adult",)
    assert AccessLog.objects.count() == 2
