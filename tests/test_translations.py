"""The Simplified Chinese catalogue is complete, and pages render in Chinese by default and in English on request."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%%|%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


def _unquote(line: str) -> str:
    return line[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse_po(text: str) -> list[dict]:
    """A small .po reader: each entry's flags, msgid, msgid_plural and msgstr(s), continuation lines joined."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key is not None:
                if isinstance(key, tuple):
                    entry["msgstr"][key[1]] += _unquote(line)
                else:
                    entry[key] += _unquote(line)
            else:
                word, _sep, rest = line.partition(" ")
                if word in ("msgid", "msgid_plural"):
                    key = word
                    entry[word] = _unquote(rest)
                elif word == "msgstr" or word.startswith("msgstr["):
                    index = 0 if word == "msgstr" else int(word[7:-1])
                    key = ("msgstr", index)
                    entry["msgstr"][index] = _unquote(rest)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalogue():
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    return header, messages


def test_catalogue_is_complete_and_not_fuzzy(catalogue):
    # Given the zh_Hans catalogue
    header, messages = catalogue
    # Then it holds messages, none empty and none fuzzy (the header included)
    assert len(messages) > 100
    empty = [m["msgid"] for m in messages if not m["msgstr"] or any(not s for s in m["msgstr"].values())]
    fuzzy = [m["msgid"] for m in [header, *messages] if "fuzzy" in m["flags"]]
    assert empty == []
    assert fuzzy == []


def test_catalogue_header_declares_one_plural_form(catalogue):
    header, messages = catalogue
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]
    # Chinese has one plural form: a plural entry fills msgstr[0] only
    for m in messages:
        if m["msgid_plural"] is not None:
            assert set(m["msgstr"]) == {0}, m["msgid"]


def test_translations_keep_every_placeholder(catalogue):
    _header, messages = catalogue
    broken = []
    for m in messages:
        for translated in m["msgstr"].values():
            if sorted(PLACEHOLDER.findall(translated)) != sorted(PLACEHOLDER.findall(m["msgid"])):
                broken.append(m["msgid"])
    assert broken == []


def test_translations_are_chinese(catalogue):
    # Every user-facing sentence is translated, not copied (a few API/format terms may stay Latin);
    # CJK and full-width punctuation count as Chinese (the list separator ", " is "、", a colon "：")
    _header, messages = catalogue
    copied = [m["msgid"] for m in messages
              if not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", "".join(m["msgstr"].values()))]
    assert copied == []


@pytest.fixture
def signed_in(client, make_citizen):
    make_citizen(username="alice-i18n", name="王小丽")
    assert client.login(username="alice-i18n", password=PASSWORD)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "zh_text", "en_text"),
    [("login", "登录", "Log in"), ("register", "实名注册", "Register with your real name")],
)
def test_public_pages_default_to_chinese_and_switch_to_english(client, url_name, zh_text, en_text):
    # Given a visitor without a language cookie
    # When they open the page
    response = client.get(reverse(url_name))
    # Then it is in Simplified Chinese
    body = response.content.decode()
    assert response.status_code == 200
    assert "城市码" in body and zh_text in body
    assert '<html lang="zh-Hans">' in body
    # When they chose English (the switch's cookie)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse(url_name)).content.decode()
    # Then the same page is in English
    assert "City Code" in body and en_text in body
    assert "城市码" not in body


@pytest.mark.django_db
def test_browser_accept_language_does_not_override_the_city_default(client):
    # Given a browser that prefers English but no cookie
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Then the page still follows the city's default
    assert "登录" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "zh_texts", "en_texts"),
    [
        ("home", ["我的码", "我的授权", "谁查看了我的数据", "退出登录"],
         ["My codes", "My consents", "Who read my data", "Log out"]),
        ("consent-mine", ["我的授权", "撤回后立即生效"], ["My consents", "Withdrawing takes effect immediately"]),
        ("consent-access-log", ["谁查看了我的数据", "法律依据"], ["Who read my data", "legal basis"]),
    ],
)
def test_signed_in_pages_default_to_chinese_and_switch_to_english(signed_in, url_name, zh_texts, en_texts):
    # Given a signed-in citizen with no language cookie
    response = signed_in.get(reverse(url_name))
    body = response.content.decode()
    # Then the page is in Chinese
    assert response.status_code == 200
    for text in zh_texts:
        assert text in body
    # When they switch to English through the language switch
    switched = signed_in.post(reverse("set_language"), {"language": "en", "next": reverse(url_name)})
    assert switched.status_code == 302
    body = signed_in.get(reverse(url_name)).content.decode()
    # Then the page is in English
    for text in en_texts:
        assert text in body
    assert "我的授权" not in body
