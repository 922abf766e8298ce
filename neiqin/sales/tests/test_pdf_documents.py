"""SYS-4: the quotation, contract and order confirmation PDFs carry Chinese text and the exact
人民币大写 of their totals. Rendered for real (WeasyPrint + Noto CJK), rasterised with pdftoppm
and read back with pdftotext: no mocks."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from neiqin.sales import documents
from neiqin.sales.services import contracts, orders, quotations
from neiqin.sales.tests.conftest import line

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftoppm"), reason="poppler-utils missing"),
]


def pdf_text(data: bytes, tmp_path: Path, name: str = "doc") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """pdftotext -layout pads columns with spaces; compare without whitespace."""
    return "".join(text.split())


def page_png(data: bytes, tmp_path: Path, name: str = "page", dpi: int = 50) -> Path:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / name)],
        check=True,
        timeout=60,
    )
    return tmp_path / f"{name}.png"


def assert_not_blank(data: bytes, tmp_path: Path, name: str = "page") -> None:
    """Page 1 at 50 dpi is an A4 raster with a real share of dark (text and rule) pixels."""
    with Image.open(page_png(data, tmp_path, name)) as image:
        grey = image.convert("L")
        width, height = grey.size
        dark = sum(grey.histogram()[:128])
    assert 380 < width < 450 and 540 < height < 620  # A4 portrait at 50 dpi ≈ 413 × 585
    assert dark > width * height * 0.01, f"page 1 looks blank: {dark} dark pixels of {width * height}"


@pytest.fixture
def signed_contract(world):
    world.acme.invoice_bank = ""  # the buyer block prints what the customer file has
    contract = contracts.contract_create(
        customer=world.acme,
        by=world.cast.clerk,
        title="强化复合地板购销合同",
        lines=[line(world.floor, 100, delivery_on="2026-03-01")],  # 100 × 100.00 = 10000.00
        ends_on=dt.date.today() + dt.timedelta(days=200),
    )
    contracts.contract_submit_review(contract=contract, by=world.cast.clerk)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=True)
    contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)
    return contracts.contract_sign(
        contract=contract,
        by=world.cast.clerk,
        signed_on=dt.date.today(),
        seller_signatory="王经理",
        buyer_signatory="李总",
        place="长沙市岳麓区",
    )


def test_the_contract_pdf_prints_the_parties_the_number_the_amount_in_words_and_the_clauses(signed_contract, tmp_path):
    data = documents.contract_pdf(signed_contract)
    assert data.startswith(b"%PDF")
    text = squeeze(pdf_text(data, tmp_path, "contract"))
    assert "购销合同" in text
    assert "长沙宏达装饰工程有限公司" in text  # the buyer (甲方)
    assert signed_contract.number and signed_contract.number in text
    assert "人民币（大写）：壹万元整" in text
    assert "¥10,000.00" in text
    for title in ("质量标准", "交货时间及地点", "违约责任", "解决合同纠纷的方式", "其他约定事项"):
        assert title in text
    assert "一、质量标准" in text and "九、其他约定事项" in text
    for label in (
        "甲方（买方）",
        "乙方（卖方）",
        "序号",
        "品名",
        "型号",
        "规格",
        "单位",
        "数量",
        "单价",
        "金额",
        "交货时间",
    ):
        assert label in text
    assert "单位名称（章）" in text and "法定代表人/委托代理人" in text
    assert "李总" in text and "王经理" in text and "长沙市岳麓区" in text
    assert "QH-1201" in text and "2026-03-01" in text
    assert_not_blank(data, tmp_path, "contract")


def test_the_contract_pdf_prints_an_odd_total_in_words_exactly(world, tmp_path):
    contract = contracts.contract_create(
        customer=world.acme,
        by=world.cast.clerk,
        title="零星采购合同",
        lines=[line(world.floor, "3.5", unit_price="2345.67")],  # 8209.845 -> 8209.85
    )
    text = squeeze(pdf_text(documents.contract_pdf(contract), tmp_path))
    assert "人民币（大写）：捌仟贰佰零玖元捌角伍分" in text
    assert "（待编号）" in text and "草稿" in text  # a draft has no number yet


def test_edited_clauses_are_numbered_in_chinese(world, tmp_path):
    contract = contracts.contract_create(
        customer=world.acme, by=world.cast.clerk, title="合同", lines=[line(world.floor, 1)]
    )
    clauses = [{"key": f"k{i}", "title": f"第{i}条款", "text": "内容"} for i in range(1, 12)]
    contracts.contract_update(
        contract=contract, by=world.cast.clerk, version=contract.version, fields={"clauses": clauses}
    )
    contract.refresh_from_db()
    text = squeeze(pdf_text(documents.contract_pdf(contract), tmp_path))
    assert "十、第10条款" in text and "十一、第11条款" in text


def test_chinese_ordinals():
    assert [documents.chinese_ordinal(n) for n in (1, 9, 10, 11, 19, 20, 21, 35)] == [
        "一",
        "九",
        "十",
        "十一",
        "十九",
        "二十",
        "二十一",
        "三十五",
    ]


def test_the_quotation_pdf_prints_customer_terms_total_and_words(world, tmp_path):
    quote = quotations.quotation_create(
        customer=world.acme,
        lines=[line(world.floor, 12, unit_price="95.5")],  # 1146.00
        by=world.cast.sales1,
        fields={"contact_name": "张采购", "payment_terms": "款到发货", "delivery_terms": "送货上门", "notes": "含运费"},
    )
    quote = quotations.quotation_issue(quotation=quote, by=world.cast.sales1)
    data = documents.quotation_pdf(quote)
    text = squeeze(pdf_text(data, tmp_path, "quote"))
    assert "报价单" in text and quote.number in text
    assert "长沙宏达装饰工程有限公司" in text and "张采购" in text
    assert "人民币（大写）：壹仟壹佰肆拾陆元整" in text and "¥1,146.00" in text
    assert "款到发货" in text and "送货上门" in text and "含运费" in text
    assert quote.valid_until.strftime("%Y年") in text
    assert "95.50" in text and "强化复合地板" in text
    assert_not_blank(data, tmp_path, "quote")


def test_the_order_confirmation_pdf(world, tmp_path):
    order = orders.order_create(
        customer=world.acme,
        lines=[line(world.floor, 2)],
        by=world.cast.clerk,
        fields={"delivery_on": dt.date.today() + dt.timedelta(days=5), "receiver": "刘工"},
    )
    order, _checks = orders.order_submit(order=order, by=world.cast.clerk)
    data = documents.order_confirmation_pdf(order)
    text = squeeze(pdf_text(data, tmp_path, "order"))
    assert "订单确认书" in text and order.number in text and "刘工" in text
    assert "人民币（大写）：贰佰元整" in text
    assert_not_blank(data, tmp_path, "order")
