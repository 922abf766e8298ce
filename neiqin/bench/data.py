"""Realistic, deterministic customer data for benchmarks: Chinese company names, regions, phones.

Names are "city + brand + trade + legal form" (长沙涵瑞建筑装饰有限公司), the way Chinese SMEs are
named, so pinyin keys and name searches behave as in production. Every row is distinct on the
normalised name, the credit code (valid check character) and both phone numbers, so a generated
file passes the importer's duplicate checks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from neiqin.core.identifiers import make_uscc, normalize_company_name

# province, city, area code, administrative division code (USCC positions 3-8)
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("湖南", "长沙", "0731", "430100"),
    ("湖南", "株洲", "0731", "430200"),
    ("湖南", "湘潭", "0731", "430300"),
    ("湖南", "衡阳", "0734", "430400"),
    ("湖北", "武汉", "027", "420100"),
    ("湖北", "宜昌", "0717", "420500"),
    ("河南", "郑州", "0371", "410100"),
    ("河南", "洛阳", "0379", "410300"),
    ("广东", "广州", "020", "440100"),
    ("广东", "深圳", "0755", "440300"),
    ("广东", "东莞", "0769", "441900"),
    ("浙江", "杭州", "0571", "330100"),
    ("浙江", "宁波", "0574", "330200"),
    ("江苏", "南京", "025", "320100"),
    ("江苏", "苏州", "0512", "320500"),
    ("四川", "成都", "028", "510100"),
    ("重庆", "重庆", "023", "500100"),
    ("北京", "北京", "010", "110100"),
    ("上海", "上海", "021", "310100"),
    ("山东", "济南", "0531", "370100"),
    ("山东", "青岛", "0532", "370200"),
    ("福建", "厦门", "0592", "350200"),
    ("陕西", "西安", "029", "610100"),
    ("安徽", "合肥", "0551", "340100"),
    ("江西", "南昌", "0791", "360100"),
    ("广西", "南宁", "0771", "450100"),
    ("云南", "昆明", "0871", "530100"),
    ("贵州", "贵阳", "0851", "520100"),
    ("河北", "石家庄", "0311", "130100"),
    ("辽宁", "沈阳", "024", "210100"),
)
BRAND_CHARS = (
    "涵瑞华兴鑫达宏图金源恒泰盛隆嘉禾博远通明德信诚安康宁辉煌天宇中正方圆汇丰祥和美佳新创领航"
    "卓越景程锦绣东南海川山湖峰林森星辰光耀晨阳春秋瀚翔腾飞智慧思维联合永昌广大友邦润泽凯旋"
)
# trade word, Industry code
TRADES: tuple[tuple[str, str], ...] = (
    ("建筑装饰", "construction"),
    ("建筑工程", "construction"),
    ("装饰设计", "construction"),
    ("建材", "trade"),
    ("商贸", "trade"),
    ("贸易", "trade"),
    ("百货", "trade"),
    ("房地产开发", "real_estate"),
    ("物业管理", "real_estate"),
    ("机械制造", "manufacturing"),
    ("电子科技", "manufacturing"),
    ("电气设备", "manufacturing"),
    ("家具", "manufacturing"),
    ("食品", "manufacturing"),
    ("信息技术", "it"),
    ("软件", "it"),
    ("网络科技", "it"),
    ("医药", "healthcare"),
    ("医疗器械", "healthcare"),
    ("教育咨询", "education"),
    ("酒店管理", "hospitality"),
    ("餐饮管理", "hospitality"),
    ("物流", "logistics"),
    ("供应链管理", "logistics"),
    ("环保科技", "other"),
    ("实业", "other"),
)
LEGAL_FORMS = (("有限公司", 7), ("有限责任公司", 2), ("股份有限公司", 1))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红志建国文斌浩宇欣怡子轩梓涵雨萱"
TITLES = ("总经理", "采购经理", "办公室主任", "财务经理", "项目经理", "董事长", "行政主管")
ROADS = ("人民路", "解放路", "建设路", "中山路", "滨江路", "高新大道", "工业园路", "商业街", "新华路", "长江路")
STAGES = (("潜在客户", 5), ("意向客户", 3), ("签约客户", 2))
GRADES = (("A 类", 1), ("B 类", 3), ("C 类", 6))
SOURCES = ("市场调研", "展会", "网络推广", "业务员拜访", "客户介绍", "来电咨询")
SCALES = ("微型", "小型", "中型", "大型")
POTENTIALS = ("高", "中", "低")
INDUSTRY_LABELS = {
    "construction": "建筑装饰",
    "real_estate": "房地产",
    "manufacturing": "制造业",
    "trade": "批发零售",
    "it": "信息技术",
    "healthcare": "医疗卫生",
    "education": "教育",
    "hospitality": "酒店餐饮",
    "logistics": "物流",
    "other": "其他",
}
USCC_SUBJECT = "0123456789ABCDEFGHJKLMNPQRTUWXY"

HEADER = [
    "客户名称*",
    "简称",
    "客户性质",
    "行业",
    "规模",
    "购买潜力",
    "合作阶段",
    "客户等级",
    "VIP",
    "客户来源",
    "省份",
    "城市",
    "详细地址",
    "电话",
    "邮箱",
    "统一社会信用代码",
    "开票名称",
    "开户银行",
    "银行账号",
    "购买意向",
    "负责业务员",
    "联系人",
    "联系人职务",
    "联系人手机",
]


@dataclass(frozen=True, slots=True)
class Company:
    """One generated customer; ``brand`` and ``trade`` feed the search benchmark's queries."""

    index: int
    name: str
    brand: str
    trade: str
    phone: str
    mobile: str
    owner: str
    row: list[str]


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _base31(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, len(USCC_SUBJECT))
        digits.append(USCC_SUBJECT[remainder])
    return "".join(reversed(digits))


def companies(count: int, *, owners: Sequence[str], seed: int, pool_share: float = 0.1) -> Iterator[Company]:
    """``count`` distinct companies; owners round-robin, ``pool_share`` of them unassigned."""
    rng = random.Random(seed)
    seen: set[str] = set()
    index = 0
    while index < count:
        province, city, area, division = rng.choice(CITIES)
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        if brand[0] == brand[1]:
            continue
        trade, industry = rng.choice(TRADES)
        name = f"{city}{brand}{trade}{_weighted(rng, LEGAL_FORMS)}"
        key = normalize_company_name(name)
        if key in seen:
            continue
        seen.add(key)
        phone = f"{area}-{80_000_000 + index}"  # area codes are prefix-free: unique numbers
        mobile = f"1{rng.choice('3589')}{index:09d}"
        owner = "" if rng.random() < pool_share else owners[index % len(owners)]
        contact = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        uscc = make_uscc(f"91{division}MA{_base31(index, 7)}")
        row = [
            name,
            f"{brand}{trade[:2]}",
            "企业",
            INDUSTRY_LABELS[industry],
            rng.choice(SCALES),
            rng.choice(POTENTIALS),
            _weighted(rng, STAGES),
            _weighted(rng, GRADES),
            "是" if rng.random() < 0.05 else "否",
            rng.choice(SOURCES),
            province,
            city,
            f"{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            phone,
            f"info{index}@corp{index}.example.cn",
            uscc,
            name,
            f"中国银行{city}分行",
            f"6217{index:012d}",
            rng.choice(("办公设备采购", "年度装修", "原材料长期供应", "")),
            owner,
            contact,
            rng.choice(TITLES),
            mobile,
        ]
        yield Company(index, name, brand, trade, phone, mobile, owner, row)
        index += 1


def write_xlsx(path: Path, rows: Sequence[Company]) -> int:
    """Write the import file with openpyxl's write-only mode; returns its size in bytes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(HEADER)
    for company in rows:
        sheet.append(company.row)
    workbook.save(path)
    return path.stat().st_size
