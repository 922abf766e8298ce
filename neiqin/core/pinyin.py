"""Pinyin search keys, so "hrjz" or "hanrui" finds 涵瑞建筑 (CUS-7).

A name is stored with two keys, initials and full pinyin. Each key holds up to
``MAX_VARIANTS`` readings separated by one space, so ``LIKE '%q%'`` on the key matches any
reading but never across two readings. The first reading is pypinyin's phrase-aware one
(重庆 -> chongqing, 银行 -> yinhang); the others swap in other readings of 多音字, fewest swaps
first and leftmost first, because users type what they think a name sounds like and the
distinctive part of a company name comes before 有限公司. Variants also rescue pypinyin's
segmentation slips: in 湖南省长沙市 it reads 省长 (shengzhang), yet "cs" / "changsha" still match.

Keys are built for every row on import (100k rows), so per-character readings and per-word
phrase readings are cached and the slow part of ``lazy_pinyin`` runs once per distinct word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import combinations, groupby, product

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.core import Pinyin

MAX_VARIANTS = 8
MAX_QUERY_LENGTH = 40

_QUERY_PATTERN = re.compile(r"[A-Za-z]{1,%d}" % MAX_QUERY_LENGTH)
_SEGMENTER = Pinyin()

# Readings of one position in the text, most likely first (an ASCII run has exactly one).
Choices = tuple[str, ...]
# (initials, full) readings of one position.
Position = tuple[Choices, Choices]


def search_keys(text: str) -> tuple[str, str]:
    """Return ``(initials, full)`` search keys for ``text``, lower-case ASCII, "" for no key.

    Han characters become pinyin, ASCII letters and digits are kept (lower-cased; a run stays
    whole in the initials too, so 3M中国 -> "3mzg") and everything else (spaces, punctuation,
    other scripts) is dropped.
    """
    positions = list(_positions(unicodedata.normalize("NFKC", text or "")))
    initials = _join_variants([initial for initial, _full in positions])
    return initials, _join_variants([full for _initial, full in positions])


def is_pinyin_query(query: str) -> bool:
    """True if ``query`` (already stripped) should also be searched in the pinyin keys."""
    return _QUERY_PATTERN.fullmatch(query) is not None


def _positions(text: str) -> Iterator[Position]:
    """One position per Han character and one per run of ASCII letters and digits."""
    for kind, group in groupby(text, key=_kind):
        run = "".join(group)
        if kind == "ascii":
            yield (run.lower(),), (run.lower(),)
        elif kind == "han":
            for word in _SEGMENTER.seg(run):
                yield from _word_positions(word)


def _kind(char: str) -> str:
    if char.isascii() and char.isalnum():
        return "ascii"
    return "han" if _char_readings(char) else "other"


@lru_cache(maxsize=32_768)
def _char_readings(char: str) -> Choices:
    """All toneless readings of one character, most common first; () if it has none."""
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return _ascii_unique(readings[0] if readings else ())


@lru_cache(maxsize=65_536)
def _word_positions(word: str) -> tuple[Position, ...]:
    """Per character of a segmented word: the phrase reading first, then the other readings."""
    phrase = lazy_pinyin(word, style=Style.NORMAL, errors="ignore")
    if len(phrase) != len(word):  # defensive: keep positions aligned with characters
        phrase = [_char_readings(char)[0] for char in word]
    positions = []
    for reading, char in zip(phrase, word, strict=True):
        full = _ascii_unique((reading, *_char_readings(char)))
        positions.append((_ascii_unique([syllable[0] for syllable in full]), full))
    return tuple(positions)


def _ascii_unique(readings: Sequence[str]) -> Choices:
    """Drop duplicates (tones are gone, so 重 zhòng/zhōng collapse) and non-ASCII oddities."""
    return tuple(dict.fromkeys(r for r in readings if r.isascii() and r.isalpha()))


def _join_variants(positions: Sequence[Choices]) -> str:
    """Up to ``MAX_VARIANTS`` distinct concatenations, fewest non-first readings first."""
    variants: dict[str, None] = {}
    for picks in _picks_by_distance(positions):
        variants["".join(picks)] = None
        if len(variants) == MAX_VARIANTS:
            break
    return " ".join(variants) if any(variants) else ""


def _picks_by_distance(positions: Sequence[Choices]) -> Iterator[list[str]]:
    """Lazily yield readings per position: the first readings, then 1 swap, 2 swaps, …"""
    primary = [choices[0] for choices in positions]
    alternatives = [index for index, choices in enumerate(positions) if len(choices) > 1]
    for swaps in range(len(alternatives) + 1):
        for swapped in combinations(alternatives, swaps):
            for readings in product(*(positions[index][1:] for index in swapped)):
                picks = primary.copy()
                for index, reading in zip(swapped, readings, strict=True):
                    picks[index] = reading
                yield picks
