"""Pinyin search keys: what users type ("hrjz", "cq", "changsha") must find the name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from neiqin.core.pinyin import MAX_VARIANTS, is_pinyin_query, search_keys

KEY_PATTERN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


def like(key: str, query: str) -> bool:
    """What ``LIKE '%query%'`` on the stored key does."""
    return query in key


def variants(key: str) -> list[str]:
    return key.split(" ")


def test_plain_name_gives_one_initials_and_one_full_reading():
    assert search_keys("涵瑞建筑") == ("hrjz", "hanruijianzhu")


@pytest.mark.parametrize(
    ("text", "initials", "full"),
    [
        ("重庆", "cq", "chongqing"),
        ("长沙", "cs", "changsha"),
        ("银行", "yh", "yinhang"),
        ("重庆长沙银行", "cqcsyh", "chongqingchangshayinhang"),
        ("涵瑞建筑有限公司", "hrjzyxgs", "hanruijianzhuyouxiangongsi"),
    ],
)
def test_phrase_reading_of_heteronyms_comes_first(text, initials, full):
    """重庆 is chong qing, 长沙 chang sha, 银行 yin hang: pypinyin's phrase reading leads."""
    initials_key, full_key = search_keys(text)

    assert variants(initials_key)[0] == initials
    assert variants(full_key)[0] == full


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("长沙涵瑞建筑有限公司", "cshr"),
        ("长沙涵瑞建筑有限公司", "hrjz"),
        ("长沙涵瑞建筑有限公司", "changsha"),
        ("长沙涵瑞建筑有限公司", "hanrui"),
        ("重庆市渝中区建材厂", "cq"),
        ("重庆市渝中区建材厂", "chongqing"),
        ("中国工商银行长沙分行", "yh"),
        ("中国工商银行长沙分行", "yinhang"),
        ("中国工商银行长沙分行", "zggsyh"),
        ("湖南省长沙市涵瑞建筑", "cs"),  # pypinyin reads 省长 here; the swapped variant still matches
        ("湖南省长沙市涵瑞建筑", "changsha"),
        ("曾经理", "zeng"),  # surname 曾 read as 曾经 (ceng) in the phrase reading
        ("单田芳", "shan"),
    ],
)
def test_like_search_finds_the_name(text, query):
    initials, full = search_keys(text)

    assert like(initials, query) or like(full, query)


def test_heteronym_on_its_own_gets_every_reading():
    initials, full = search_keys("行")

    assert set(variants(full)) >= {"xing", "hang"}
    assert set(variants(initials)) >= {"x", "h"}


def test_variants_are_capped_and_distinct():
    initials, full = search_keys("行长重长乐行长重长乐")

    for key in (initials, full):
        assert len(variants(key)) == MAX_VARIANTS
        assert len(set(variants(key))) == MAX_VARIANTS
        assert "  " not in key


def test_fewest_swaps_come_first():
    _initials, full = search_keys("行行")

    assert variants(full)[:5] == ["xingxing", "hangxing", "hengxing", "xinghang", "xingheng"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3M中国", ("3mzg", "3mzhongguo")),
        ("ABC涵瑞", ("abchr", "abchanrui")),
        ("ＡＢＣ 涵瑞", ("abchr", "abchanrui")),
        ("１号仓库", ("1hck 1xck", "1haocangku 1xiaocangku")),
        (
            "涵瑞·建筑（长沙）",
            (
                "hrjzcs hrjzzs",
                "hanruijianzhuchangsha hanruijianzhuzhangsha hanruijianzhuchangsuo hanruijianzhuzhangsuo",
            ),
        ),
        ("Hello, World!", ("helloworld", "helloworld")),
    ],
)
def test_ascii_is_kept_and_punctuation_dropped(text, expected):
    assert search_keys(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "！？。、", "（）·", None])
def test_nothing_to_index_gives_empty_keys(text):
    assert search_keys(text) == ("", "")


@settings(database=None, max_examples=300)
@given(st.text(max_size=30))
def test_keys_are_lower_case_ascii_variants(text):
    initials, full = search_keys(text)

    for key in (initials, full):
        assert key == "" or KEY_PATTERN.fullmatch(key)
        assert len(variants(key)) <= MAX_VARIANTS
    assert (initials == "") == (full == "")


@settings(database=None, max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12))
def test_first_variant_is_pypinyins_reading(text):
    initials, full = search_keys(text)
    expected = lazy_pinyin(text, errors="ignore")

    assert variants(full)[0] == "".join(expected)
    assert variants(initials)[0] == "".join(syllable[0] for syllable in expected)


@pytest.mark.parametrize("query", ["hrjz", "HRJZ", "a", "z" * 40, "ChongQing"])
def test_is_pinyin_query_accepts_ascii_letters(query):
    assert is_pinyin_query(query)


@pytest.mark.parametrize(
    "query", ["", "a" * 41, "hr jz", "hr1", "涵瑞", "hrjz\n", " hrjz", "ｈｒｊｚ", "é", "hr-jz", "1380013"]
)
def test_is_pinyin_query_refuses_anything_else(query):
    assert not is_pinyin_query(query)
