"""Defaults of the optional L4 places' questions (scaffolding/extra_answers.py); their validators are in
tests/test_hostile_questionnaire.py with the other answers."""

from __future__ import annotations

import pytest
from scaffolding.extra_answers import brand_color, default_brand_domain, default_key_check_url


@pytest.mark.parametrize(
    ("endpoint", "api_style", "expected"),
    [
        ("https://api.acme.example/v1", "openai_compatible", "https://api.acme.example/v1/models"),
        ("https://api.acme.example/v1/", "openai_compatible", "https://api.acme.example/v1/models"),
        ("https://api.acme.example/v1", "http", ""),  # a proprietary API: no known listing to read
        ("https://api.acme.example/v1", "custom_sdk", ""),
        # ${VAR} parts: `prompture setup` calls the URL as written, so no default.
        ("https://${ACCOUNT}.acme.example/v1", "openai_compatible", ""),
        ("https://api.acme.example/accounts/${ACME_ACCOUNT_ID}/v1", "openai_compatible", ""),
        ("", "openai_compatible", ""),
    ],
)
def test_default_key_check_url(endpoint, api_style, expected):
    assert default_key_check_url(endpoint, api_style) == expected


@pytest.mark.parametrize(
    ("endpoint", "doc", "expected"),
    [
        ("https://api.moonshot.ai/v1", "", "moonshot.ai"),
        ("https://platform.acme.co.uk/v1", "", "acme.co.uk"),
        ("https://acme.com/api", "", "acme.com"),
        ("https://api.example.com", "", "example.com"),
        ("https://inference.baseten.co/v1", "", "baseten.co"),  # .co is a public suffix: not a trim of "api."
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "", "aliyuncs.com"),
        ("https://eu.api.acme.com.au/v1", "", "acme.com.au"),
        ("https://llm.acme.github.io/v1", "", "acme.github.io"),  # a private suffix counts too
        ("https://co.uk/v1", "", ""),  # a bare public suffix names no brand
        ("http://localhost:11434/v1", "https://docs.local-llm.org", ""),  # local: no favicon to fetch
        ("http://127.0.0.1:8000/v1", "", ""),
        ("", "https://docs.acme.dev/guide", "acme.dev"),  # no endpoint: the docs page's host
        ("https://${REGION}.acme.com/v1", "https://acme.com/docs", "acme.com"),  # the host is filled in: the docs'
        ("https://api.acme.com/accounts/${ACME_ACCOUNT_ID}/v1", "", "acme.com"),  # only the path is
        ("${ACME_BASE_URL}/ai/v1", "https://docs.acme.dev/x", "acme.dev"),
        ("not a url", "", ""),
    ],
)
def test_default_brand_domain(endpoint, doc, expected):
    assert default_brand_domain(endpoint, doc) == expected


def test_brand_color_is_written_as_provider_branding_writes_it():
    assert brand_color("#1e40af") == "1E40AF"


@pytest.mark.parametrize(
    "host",
    [
        "inference.baseten.co",  # a plain ccTLD rule
        "api.acme.co.uk",  # a second-level public suffix
        "a.b.c.kawasaki.jp",  # a wildcard rule (*.kawasaki.jp)
        "city.kawasaki.jp",  # an exception to it (!city.kawasaki.jp)
        "api.x.y.github.io",  # a private-section rule
        "a.b.xn--90ais",  # an internationalised top label, its rules written in Unicode
        "api.example.unknowntld",  # no rule at all
    ],
)
def test_the_cut_public_suffix_list_agrees_with_the_whole_one(host):
    from publicsuffixlist import PublicSuffixList

    expected = PublicSuffixList().privatesuffix(host)
    assert default_brand_domain(f"https://{host}/v1") == (expected or "")
