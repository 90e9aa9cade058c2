from types import SimpleNamespace

from django.utils import translation

from citycode.localized import localized, prefers_english


def test_labels_follow_the_active_language_and_fall_back_to_chinese():
    purpose = SimpleNamespace(label_zh="场馆入场", label_en="Venue entry", description_zh="说明", description_en="")
    with translation.override("zh-hans"):
        assert localized(purpose) == "场馆入场" and not prefers_english()
    with translation.override("en"):
        assert localized(purpose) == "Venue entry"
        # An English text nobody wrote yet shows the Chinese one rather than nothing
        assert localized(purpose, "description") == "说明"
    assert localized(purpose, language="en") == "Venue entry"
