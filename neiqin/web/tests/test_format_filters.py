import pytest

from neiqin.web.templatetags.neiqin_format import phone_display, website_href


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://hanrui.example.com", "https://hanrui.example.com"),
        ("www.hanrui.cn", "http://www.hanrui.cn"),
        ("hanrui.cn/about", "http://hanrui.cn/about"),
        ("javascript:alert(1)", ""),
        ("javascript://%0aalert(document.domain)", ""),
        ("JavaScript://%0Aalert(1)", ""),
        ("java\tscript://%0aalert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("http:", ""),
        ("", ""),
        ("涵瑞官网", ""),
    ],
)
def test_only_http_links_are_made(value, href):
    assert website_href(value) == href


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13800138000", "138 0013 8000"),
        ("073188881234", "0731-8888 1234"),
        ("01065529988", "010-6552 9988"),
        ("02988776655", "029-8877 6655"),
        ("+85223456789", "+85223456789"),
        ("", ""),
    ],
)
def test_phone_numbers_are_grouped_for_reading(value, shown):
    assert phone_display(value) == shown
