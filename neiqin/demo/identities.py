"""Believable Chinese identities from a seeded RNG: people, companies, phones, addresses, codes.

Everything that must be unique across the archive (normalised company names, phone numbers,
credit codes) is tracked here, because the services refuse duplicates (CUS-6).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric

from neiqin.core.identifiers import make_uscc, normalize_company_name
from neiqin.demo import vocabulary as words

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 code set
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
_SINGLE_GIVEN = tuple(g for g in words.GIVEN_NAMES if len(g) == 1)


@lru_cache(maxsize=4096)
def pinyin_of(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL))


@lru_cache(maxsize=4096)
def initials_of(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))


def _org_code(rng: random.Random) -> str:
    """A 9-character organisation code with its GB 11714 check character (positions 9-17)."""
    if rng.random() < 0.6:  # codes issued since 2015 start with "MA"
        body = "MA" + "".join(rng.choice(_ORG_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


@dataclass(frozen=True)
class Place:
    city: words.City
    district: str
    division: str  # county-level division code

    @property
    def province(self) -> str:
        return self.city.province

    @property
    def prefix(self) -> str:
        """ "湖南省长沙市岳麓区"; municipalities once: "北京市朝阳区"."""
        if self.city.province in words.MUNICIPALITIES:
            return f"{self.city.name}市{self.district}"
        return f"{words.PROVINCE_FULL[self.city.province]}{self.city.name}市{self.district}"


class Identities:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.codes: set[str] = set()
        self._city_weights = [c.weight for c in words.CITIES]
        self._title_weights = [t[3] for t in words.CONTACT_TITLES]

    # --- places --------------------------------------------------------------------------

    def place(self, provinces: tuple[str, ...] | None = None) -> Place:
        cities = words.CITIES
        weights = self._city_weights
        if provinces:
            pairs = [(c, w) for c, w in zip(cities, weights, strict=True) if c.province in provinces]
            cities, weights = [p[0] for p in pairs], [p[1] for p in pairs]
        city = self.rng.choices(cities, weights)[0]
        district, division = self.rng.choice(city.districts)
        return Place(city, district, division)

    def street_address(self, place: Place) -> str:
        street = self.rng.choice(place.city.streets + words.GENERIC_STREETS[:2])
        return f"{place.prefix}{street}{self.rng.randint(1, 999)}号"

    def office_address(self, place: Place) -> str:
        base = self.street_address(place)
        if self.rng.random() < 0.25:
            return base
        building = self.rng.choice(words.BUILDINGS) + self.rng.choice(words.TOWERS)
        return f"{base}{building}{self.rng.randint(2, 28)}{self.rng.randint(1, 20):02d}室"

    def home_address(self, place: Place) -> str:
        community = self.rng.choice(words.COMMUNITIES)
        building, entrance = self.rng.randint(1, 18), self.rng.randint(1, 4)
        unit = f"{building}栋{entrance}单元{self.rng.randint(1, 30)}{self.rng.randint(1, 4):02d}"
        return f"{self.street_address(place)}{community}{unit}"

    # --- people --------------------------------------------------------------------------

    def person_name(self) -> str:
        given = self.rng.choice(words.GIVEN_NAMES)
        if len(given) == 1 and self.rng.random() < 0.35:
            given += self.rng.choice(_SINGLE_GIVEN)
        return self.rng.choice(words.SURNAMES) + given

    def birthday(self, first_year: int = 1965, last_year: int = 1996) -> dt.date:
        start = dt.date(first_year, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, dt.date(last_year, 12, 31).toordinal()))

    def contact_title(self) -> tuple[str, str, bool]:
        title, department, decides, _weight = self.rng.choices(words.CONTACT_TITLES, self._title_weights)[0]
        return title, department, decides

    def id_number(self, place: Place, birthday: dt.date) -> str:
        """A resident ID number that passes stdnum (checksum, birth date, and a birth-place
        division that existed in the birth year: the customer's district or another district of
        the same city); "" when none did."""
        sequence = f"{self.rng.randint(1, 999):03d}"
        divisions = [place.division] + [code for _name, code in place.city.districts if code != place.division]
        for division in divisions:
            body = f"{division}{birthday:%Y%m%d}{sequence}"
            number = body + ric.calc_check_digit(body + "0")
            if ric.is_valid(number):
                return number
        return ""

    # --- phones (stored and compared normalised: digits only) ----------------------------------

    def _unique(self, make) -> str:
        while True:
            number = make()
            if number not in self.phones:
                self.phones.add(number)
                return number

    def mobile(self) -> str:
        return self._unique(lambda: self.rng.choice(words.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}")

    def landline(self, place: Place) -> str:
        return self._unique(
            lambda: place.city.area_code + str(self.rng.randint(2, 8)) + f"{self.rng.randrange(10**7):07d}"
        )

    @staticmethod
    def display_phone(number: str, place: Place | None = None) -> str:
        """How people write it: "0731-88881234", "139 1234 5678" (the services normalise)."""
        if number.startswith("0") and place is not None:
            return f"{place.city.area_code}-{number[len(place.city.area_code) :]}"
        return number

    # --- companies -------------------------------------------------------------------------

    def credit_code(self, place: Place, *, government: bool = False) -> str:
        prefix = "11" if government else "91"  # 机关 / 工商登记的企业
        while True:
            code = make_uscc(prefix + place.division + _org_code(self.rng)[:9])
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _claim_name(self, name: str) -> bool:
        key = normalize_company_name(name)
        if key in self.names:
            return False
        self.names.add(key)
        return True

    def company(self, industry: str, place: Place, *, large: bool) -> tuple[str, str, str] | None:
        """(name, short name, short industry word) unique by normalised name; None when the
        name space of this industry and place is exhausted (caller picks another industry)."""
        choices = words.INDUSTRY_WORDS[industry][0]
        if not choices:
            return self._agency(place)
        for _attempt in range(40):
            brand = self.rng.choice(words.BRAND_FIRST) + self.rng.choice(words.BRAND_SECOND)
            if brand == words.OWN_BRAND:
                continue
            word, short = self.rng.choice(choices)
            suffix = self.rng.choices(["有限公司", "有限责任公司", "股份有限公司"], [80, 15, 5])[0]
            roll = self.rng.random()
            if large and roll < 0.3:
                name = f"{place.province}{brand}{short}集团有限公司"
            elif roll < 0.1:
                name = f"{brand}{word}（{place.city.name}）{suffix}"
            else:
                name = f"{place.city.name}{brand}{word}{suffix}"
            if self._claim_name(name):
                return name, f"{brand}{short}", short
        return None

    def _agency(self, place: Place) -> tuple[str, str, str] | None:
        for agency in self.rng.sample(words.GOVERNMENT_AGENCIES, len(words.GOVERNMENT_AGENCIES)):
            name = f"{place.city.name}市{place.district}{agency}"
            if self._claim_name(name):
                return name, f"{place.district}{agency}", agency
        return None

    def individual(self) -> str:
        """A person buying on their own account (个人客户); names may repeat in real life, but the
        archive refuses duplicate names, so keep drawing."""
        while True:
            name = self.person_name()
            if self._claim_name(name):
                return name

    def bank_account(self) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(self.rng.choice((16, 17, 19))))

    def bank_branch(self, place: Place) -> str:
        local = words.LOCAL_BANKS.get(place.province)
        bank = local if local and self.rng.random() < 0.3 else self.rng.choice(words.BANKS)
        district = place.district.removesuffix("区") if len(place.district) > 2 else place.district
        return f"{bank}{place.city.name}{district}支行"

    def domain(self, brand_short: str, word_short: str) -> str:
        return f"{pinyin_of(brand_short[:2])}{initials_of(word_short)}.com"
