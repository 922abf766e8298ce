"""What the demo company sells: flooring (地板部) and insulation (凯瑞保温).

Each family expands into products: a series, a model prefix, the name, the variants (colour,
wood species, thickness…) with their specification and a tax-inclusive standard price in yuan.
About 150 products in all, with believable Chinese building-material specs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    suffix: str  # model suffix, e.g. "01"
    name: str  # what follows the family name, e.g. "橡木纹"
    spec: str
    price: int  # standard price (含税), yuan


@dataclass(frozen=True)
class Family:
    series: str
    prefix: str
    name: str
    unit: str
    brand: str
    variants: tuple[Variant, ...]
    stock: tuple[int, int]  # typical stock target per warehouse, in the unit
    order: tuple[int, int]  # typical quantity of one shipment line


def _colours(count: int, start: int, spec: str, low: int, step: int, names: tuple[str, ...]) -> tuple[Variant, ...]:
    return tuple(Variant(f"{start + i:02d}", names[i % len(names)], spec, low + step * (i % 6)) for i in range(count))


LAMINATE_COLOURS = ("橡木纹", "胡桃木纹", "柚木色", "枫木色", "灰橡", "白橡", "古典橡木", "浅灰拉丝", "深咖", "原木色")
ENGINEERED_WOODS = ("橡木", "黑胡桃", "柚木", "白蜡木", "桦木", "番龙眼", "圆盘豆", "花梨木")
SOLID_WOODS = ("柚木", "番龙眼", "圆盘豆", "二翅豆", "重蚁木", "橡木", "黑胡桃", "桃花芯")
SPC_COLOURS = ("北欧白橡", "烟熏灰", "大理石纹", "奶咖", "深胡桃", "浅橡")

PIPE_SIZES = ((16, 9), (22, 9), (28, 13), (35, 13), (42, 19), (48, 19), (60, 25), (76, 25), (89, 32), (114, 32))

FAMILIES: tuple[Family, ...] = (
    Family(
        "强化复合地板",
        "QH-12",
        "强化复合地板",
        "平方米",
        "凯瑞",
        _colours(12, 1, "1215×195×12mm", 78, 10, LAMINATE_COLOURS)
        + _colours(12, 21, "1218×198×8mm", 58, 8, LAMINATE_COLOURS[3:]),
        (800, 3000),
        (60, 400),
    ),
    Family(
        "实木复合地板",
        "SF-15",
        "实木复合地板",
        "平方米",
        "凯瑞",
        _colours(10, 1, "1210×165×15mm", 188, 30, ENGINEERED_WOODS)
        + _colours(8, 11, "910×125×15mm", 168, 25, ENGINEERED_WOODS[2:]),
        (300, 1500),
        (40, 250),
    ),
    Family(
        "实木地板",
        "SM-18",
        "实木地板",
        "平方米",
        "凯瑞",
        _colours(12, 1, "910×122×18mm", 368, 60, SOLID_WOODS),
        (150, 800),
        (20, 150),
    ),
    Family(
        "SPC石塑地板",
        "SPC-",
        "SPC石塑地板",
        "平方米",
        "凯瑞",
        _colours(6, 40, "1220×180×4mm", 79, 6, SPC_COLOURS) + _colours(6, 50, "1220×180×5mm", 99, 8, SPC_COLOURS),
        (500, 2500),
        (50, 350),
    ),
    Family(
        "踢脚线",
        "TJ-",
        "踢脚线",
        "米",
        "凯瑞",
        (
            Variant("80A", "实木复合 橡木色", "2400×80×12mm", 28),
            Variant("80B", "实木复合 胡桃色", "2400×80×12mm", 28),
            Variant("60P", "PVC 白色", "2400×60×10mm", 12),
            Variant("60G", "PVC 灰色", "2400×60×10mm", 12),
            Variant("100L", "铝合金 拉丝银", "3000×100×10mm", 35),
            Variant("100H", "铝合金 哑光黑", "3000×100×10mm", 38),
            Variant("90S", "实木 柚木", "2200×90×15mm", 45),
            Variant("70M", "高密度板 白色", "2400×70×12mm", 16),
        ),
        (600, 3000),
        (100, 500),
    ),
    Family(
        "地板辅料",
        "FL-",
        "地板辅料",
        "卷",
        "德固",
        (
            Variant("MD01", "防潮膜", "1m×50m×0.12mm", 45),
            Variant("JY02", "静音垫", "1m×20m×2mm", 68),
            Variant("JY03", "静音垫 加厚", "1m×15m×3mm", 85),
            Variant("LM04", "铝膜防潮垫", "1m×30m×3mm", 95),
        ),
        (100, 500),
        (10, 60),
    ),
    Family(
        "地板辅料",
        "FL-",
        "地板辅料",
        "箱",
        "德固",
        (
            Variant("DJ11", "地板钉", "38mm 1000枚/箱", 36),
            Variant("KT12", "金属扣条", "900mm 20根/箱", 120),
            Variant("JD13", "地板专用胶", "5kg×4桶/箱", 260),
            Variant("LG14", "防腐木龙骨", "3000×40×30mm 20根/箱", 180),
        ),
        (40, 200),
        (3, 20),
    ),
    Family(
        "挤塑聚苯板",
        "XPS-",
        "挤塑聚苯板",
        "张",
        "凯瑞保温",
        tuple(
            Variant(f"{grade}-{t}", f"{label} {t}mm", f"1200×600×{t}mm", round(price * t / 10))
            for grade, label, price in (("B1", "B1级阻燃", 7), ("B2", "B2级", 6))
            for t in (20, 25, 30, 40, 50, 60, 75, 80, 100)
        ),
        (600, 3000),
        (100, 800),
    ),
    Family(
        "岩棉板",
        "YM-",
        "岩棉板",
        "块",
        "凯瑞保温",
        tuple(
            Variant(f"{density}-{t}", f"{density}kg/m³ {t}mm", f"1200×600×{t}mm", round(density * t / 190))
            for density in (120, 140, 160)
            for t in (50, 60, 80, 100)
        ),
        (400, 2000),
        (80, 500),
    ),
    Family(
        "玻璃棉卷毡",
        "BM-",
        "玻璃棉卷毡",
        "卷",
        "凯瑞保温",
        (
            Variant("12-50", "12kg/m³ 50mm", "12000×1200×50mm", 96),
            Variant("14-50", "14kg/m³ 50mm", "12000×1200×50mm", 108),
            Variant("16-50", "16kg/m³ 50mm", "10000×1200×50mm", 118),
            Variant("12-75", "12kg/m³ 75mm", "8000×1200×75mm", 112),
            Variant("16-100", "16kg/m³ 100mm", "6000×1200×100mm", 128),
            Variant("AL-50", "贴铝箔 50mm", "10000×1200×50mm", 158),
        ),
        (100, 600),
        (10, 80),
    ),
    Family(
        "聚氨酯保温板",
        "PU-",
        "聚氨酯保温板",
        "张",
        "凯瑞保温",
        tuple(
            Variant(f"{t}{face}", f"{label} {t}mm", f"1200×600×{t}mm", round(t * price / 10))
            for face, label, price in (("", "双面水泥基", 11), ("AL", "双面铝箔", 13))
            for t in (20, 25, 30, 40, 50)
        ),
        (300, 1500),
        (60, 400),
    ),
    Family(
        "橡塑保温管",
        "XS-",
        "橡塑保温管",
        "米",
        "凯瑞保温",
        tuple(
            Variant(f"{d}-{w}", f"内径{d}mm 壁厚{w}mm", f"φ{d}×{w}mm", round(d * w / 40 + 2))
            for d, w in (
                (16, 9),
                (22, 9),
                (28, 13),
                (35, 13),
                (42, 19),
                (48, 19),
                (60, 25),
                (76, 25),
                (89, 32),
                (114, 32),
            )
        ),
        (500, 2500),
        (100, 600),
    ),
    Family(
        "保温砂浆",
        "SJ-",
        "保温砂浆",
        "吨",
        "凯瑞保温",
        (
            Variant("BH01", "玻化微珠保温砂浆", "25kg/袋", 1380),
            Variant("JF02", "胶粉聚苯颗粒保温砂浆", "20kg/袋", 1280),
            Variant("ZJ03", "保温板粘结砂浆", "40kg/袋", 980),
            Variant("MM04", "抗裂抹面砂浆", "40kg/袋", 1080),
            Variant("WJ05", "无机保温砂浆 A级", "25kg/袋", 1560),
        ),
        (20, 120),
        (2, 15),
    ),
    Family(
        "保温辅材",
        "FC-",
        "保温辅材",
        "箱",
        "凯瑞保温",
        (
            Variant("MS10", "塑料锚栓", "φ10×100mm 500只/箱", 95),
            Variant("MS12", "塑料锚栓 加长", "φ10×140mm 500只/箱", 120),
            Variant("JS20", "金属保温钉", "φ8×120mm 300只/箱", 160),
            Variant("WG30", "耐碱玻纤网格布", "1m×50m 4卷/箱", 210),
            Variant("JB40", "保温板专用胶", "10kg×2桶/箱", 180),
        ),
        (40, 200),
        (3, 25),
    ),
)

# Custom-made products (特殊/定制): the suffix of the variant model, with a note.
SPECIAL = {
    "SM-1808": "拼花定制，按图纸加工，交期 20 天",
    "SM-1810": "宽板定制，需预付 50%",
    "XPS-B1-100": "B1 级 100mm 需提前 7 天订货",
    "BM-AL-50": "贴铝箔按工程量定制",
    "SF-1516": "工程定制色，不退换",
}
# Discontinued (停售): still in stock somewhere, never sold again.
INACTIVE = {"QH-1228", "SPC-45", "TJ-70M", "PU-20AL"}
# In stock since the opening but never shipped: the slow-moving list (滞销).
SLOW = {"SM-1807", "SF-1509", "TJ-90S", "YM-160-50", "XS-89-32", "SJ-WJ05", "QH-1212", "SPC-55"}

WAREHOUSE_KEEPER = "warehouse"
# Which warehouse serves a customer's province; the rest of the country goes to 长沙库.
PROVINCE_WAREHOUSE = {
    "河南": "ZZ",
    "北京": "ZZ",
    "天津": "ZZ",
    "河北": "ZZ",
    "山西": "ZZ",
    "山东": "ZZ",
    "江苏": "ZZ",
    "安徽": "ZZ",
    "陕西": "XA",
    "甘肃": "XA",
    "宁夏": "XA",
    "青海": "XA",
    "新疆": "XA",
    "内蒙古": "XA",
}
WAREHOUSE_REGION = {"CS": "HZ", "ZZ": "HZ", "XA": "XB"}
# Share of the catalogue each warehouse stocks.
WAREHOUSE_RANGE = {"CS": 1.0, "ZZ": 0.75, "XA": 0.55}

RETURN_REASONS = ("客户多订退回", "色差退货", "包装破损退货", "工程变更退回")
ADJUST_REASONS = (("搬运破损报废", -1), ("受潮报损", -1), ("盘盈入账", 1), ("样品领用", -1))
PRICE_RAISE_REASONS = ("原材料价格上涨", "运费上涨，统一调价", "厂家调价")
PRICE_CUT_REASONS = ("季节性促销", "竞品降价，跟进调整")
