"""Stock counts (盘点, INV-4): services — snapshot, entry, submit/approve/reject/cancel, variance
posting as adjustments, and the quarterly reminder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from neiqin.catalog.services import product_create, series_create
from neiqin.core.calendar import known_years
from neiqin.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.models import CalendarDay, CalendarYear, Event, Notification
from neiqin.stock.choices import CountStatus, MoveKind
from neiqin.stock.models import StockCount, StockLevel, StockMove
from neiqin.stock.services import InsufficientStock, Line, ledger_balance, stock_receive, stock_ship, warehouse_create
from neiqin.stock.services.counts import (
    count_approve,
    count_cancel,
    count_create,
    count_enter,
    count_reject,
    count_reminders,
    count_submit,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_product(model: str, *, cost: str | None = "100", spec: str = "", series=None):
    fields = {"name": f"产品{model}", "model": model, "spec": spec, "unit": "件"}
    if cost is not None:
        fields["cost"] = cost
    if series is not None:
        fields["series"] = series.pk
    return product_create(fields=fields, by=None)


@pytest.fixture
def stock(cast):
    """长沙库 with three products: A (cost 100, 10 on hand), B (cost 2.5, 20), C (no cost, 5)."""
    warehouse = warehouse_create(fields={"code": "CS", "name": "长沙库", "keeper": cast.warehouse}, by=None)
    a = make_product("PD-A")
    b = make_product("PD-B", cost="2.5")
    c = make_product("PD-C", cost=None)
    stock_receive(warehouse=warehouse, lines=[Line(a, "10"), Line(b, "20"), Line(c, "5")], by=cast.warehouse)
    return {"warehouse": warehouse, "a": a, "b": b, "c": c}


def enter(count, stock, by, **values):
    data = {}
    for key, value in values.items():
        counted, reason = value if isinstance(value, tuple) else (value, "")
        data[stock[key].pk] = {"counted": counted, "reason": reason}
    return count_enter(count=count, entries=data, by=by)


def level(stock, key):
    return StockLevel.objects.get(warehouse=stock["warehouse"], product=stock[key])


# ---- create --------------------------------------------------------------------------------------


def test_create_snapshots_every_level_with_expected_and_cost(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse, note="季度盘点")

    lines = {line.product_id: line for line in count.lines.all()}
    assert count.status == CountStatus.COUNTING
    assert count.number.startswith("PD")
    assert set(lines) == {stock["a"].pk, stock["b"].pk, stock["c"].pk}
    assert lines[stock["a"].pk].expected == Decimal("10.000")
    assert lines[stock["a"].pk].unit_cost == Decimal("100.0000")
    assert lines[stock["c"].pk].unit_cost is None
    assert all(line.counted is None for line in lines.values())
    assert Event.objects.filter(action="stock.count.created", object_id=str(count.pk)).count() == 1


def test_create_for_one_series_takes_only_its_products(cast, stock):
    series = series_create(name="强化复合地板", by=None)
    d = make_product("PD-D", series=series)
    stock_receive(warehouse=stock["warehouse"], lines=[Line(d, "3")], by=cast.warehouse)

    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse, series=series)

    assert list(count.lines.values_list("product_id", flat=True)) == [d.pk]


def test_a_count_in_progress_blocks_a_second_one(cast, stock):
    first = count_create(warehouse=stock["warehouse"], by=cast.warehouse)

    with pytest.raises(Conflict) as exc:
        count_create(warehouse=stock["warehouse"], by=cast.admin)

    assert first.number in str(exc.value.message)
    assert StockCount.objects.count() == 1
    count_cancel(count=first, by=cast.warehouse)
    assert count_create(warehouse=stock["warehouse"], by=cast.warehouse).pk != first.pk


def test_only_counters_open_counts(cast, stock):
    for user in (cast.sales1, cast.finance, cast.clerk):
        with pytest.raises(PermissionDenied):
            count_create(warehouse=stock["warehouse"], by=user)
    assert StockCount.objects.count() == 0


def test_a_warehouse_without_stock_rows_has_nothing_to_count(cast):
    empty = warehouse_create(fields={"code": "XA", "name": "西安库"}, by=None)
    with pytest.raises(ValidationFailed):
        count_create(warehouse=empty, by=cast.warehouse)
    assert StockCount.objects.count() == 0


# ---- entering ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["-1", "abc", "1.2345", "1e3"])
def test_negative_or_non_numeric_counts_are_refused_naming_the_row_and_nothing_changes(cast, stock, bad):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)

    with pytest.raises(ValidationFailed) as exc:
        enter(count, stock, cast.warehouse, a="9", b=bad)

    assert "PD-B" in str(exc.value.message)
    assert f"lines.{stock['b'].pk}.counted" in exc.value.extra["fields"]
    count.refresh_from_db()
    assert count.version == 1
    assert list(count.lines.values_list("counted", flat=True)) == [None, None, None]


def test_entry_of_a_product_not_on_the_count_is_refused(cast, stock):
    other = make_product("PD-X")
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    with pytest.raises(ValidationFailed):
        count_enter(count=count, entries={other.pk: {"counted": "1", "reason": ""}}, by=cast.warehouse)
    assert count.lines.filter(counted__isnull=False).count() == 0


def test_entry_saves_counted_and_reason_and_blank_clears(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("8", "破损"), b="0")
    enter(count, stock, cast.warehouse, b="")

    lines = {line.product_id: line for line in count.lines.all()}
    assert lines[stock["a"].pk].counted == Decimal("8.000")
    assert lines[stock["a"].pk].reason == "破损"
    assert lines[stock["a"].pk].variance == Decimal("-2.000")
    assert lines[stock["b"].pk].counted is None
    count.refresh_from_db()
    assert count.version == 3


def test_stale_version_is_a_conflict(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a="10")
    with pytest.raises(Conflict):
        count_enter(count=count, entries={stock["a"].pk: {"counted": "9", "reason": ""}}, by=cast.warehouse, version=1)
    assert count.lines.get(product=stock["a"]).counted == Decimal("10")


# ---- submit and post -----------------------------------------------------------------------------


def test_missing_counts_are_refused_and_nothing_changes(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a="10", b="20")

    with pytest.raises(ValidationFailed) as exc:
        count_submit(count=count, by=cast.warehouse)

    assert "PD-C" in str(exc.value.message)
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    assert count.submitted_by is None
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_variances_without_reason_are_refused_and_nothing_changes(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a="9", b="20", c="5")

    with pytest.raises(ValidationFailed) as exc:
        count_submit(count=count, by=cast.warehouse)

    assert f"lines.{stock['a'].pk}.reason" in exc.value.extra["fields"]
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    assert level(stock, "a").on_hand == Decimal("10")
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_below_threshold_posts_at_once_with_adjustments_equal_to_counted_minus_expected(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("9", "破损报废"), b=("23.5", "漏记入库"), c="5")

    count_submit(count=count, by=cast.warehouse)

    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert count.needs_approval is False
    assert count.posted_at is not None
    # |−1 × 100| + |3.5 × 2.5| = 108.75; C has no variance
    assert count.variance_value == Decimal("108.75")
    moves = StockMove.objects.filter(document_type="stock_count", document_id=str(count.pk))
    assert {m.product_id: m.quantity for m in moves} == {stock["a"].pk: Decimal("-1"), stock["b"].pk: Decimal("3.5")}
    assert {m.kind for m in moves} == {MoveKind.ADJUSTMENT}
    assert {m.document_number for m in moves} == {count.number}
    assert moves.first().reason.startswith(f"盘点 {count.number}: 盘盈 1 项，盘亏 1 项")
    for key, expected in (("a", "9"), ("b", "23.5"), ("c", "5")):
        assert level(stock, key).on_hand == Decimal(expected)
        assert ledger_balance(warehouse=stock["warehouse"], product=stock[key]) == Decimal(expected)
    assert Event.objects.filter(action="stock.count.posted", object_id=str(count.pk)).count() == 1


def test_a_count_without_variances_posts_without_moves(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a="10", b="20", c="5")
    count_submit(count=count, by=cast.warehouse)
    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert count.variance_value == Decimal("0.00")
    assert not StockMove.objects.filter(document_type="stock_count").exists()


def test_lines_without_cost_count_zero_in_the_variance_value(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a="10", b="20", c=("0", "丢失"))
    count_submit(count=count, by=cast.warehouse)
    count.refresh_from_db()
    assert count.variance_value == Decimal("0.00")
    assert count.status == CountStatus.POSTED
    assert level(stock, "c").on_hand == Decimal("0")


def test_above_threshold_needs_approval_and_the_submitter_cannot_approve(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.admin)
    enter(count, stock, cast.admin, a=("40", "上次漏盘"), b="20", c="5")  # 30 × 100 = 3000 > 2000

    count_submit(count=count, by=cast.admin)

    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED
    assert count.needs_approval is True
    assert count.variance_value == Decimal("3000.00")
    assert level(stock, "a").on_hand == Decimal("10")
    notified = set(Notification.objects.filter(object_id=str(count.pk)).values_list("user__username", flat=True))
    assert notified == {"finance", "gm", "deputy"}
    with pytest.raises(PermissionDenied) as exc:
        count_approve(count=count, by=cast.admin)
    assert "自己" in str(exc.value.message)
    with pytest.raises(PermissionDenied):
        count_approve(count=count, by=cast.warehouse)
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED

    count_approve(count=count, by=cast.finance, comment="同意")

    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert count.approved_by == cast.finance
    assert count.decision_comment == "同意"
    assert level(stock, "a").on_hand == Decimal("40")
    assert ledger_balance(warehouse=stock["warehouse"], product=stock["a"]) == Decimal("40")


def test_threshold_comes_from_the_setting(cast, stock, settings):
    settings.NEIQIN_COUNT_APPROVAL_THRESHOLD = Decimal("50.00")
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("9", "破损"), b="20", c="5")  # 100 > 50
    count_submit(count=count, by=cast.warehouse)
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED


def test_reject_sends_back_to_counting_and_a_resubmission_can_be_approved(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("40", "上次漏盘"), b="20", c="5")
    count_submit(count=count, by=cast.warehouse)

    with pytest.raises(ValidationFailed):
        count_reject(count=count, by=cast.gm, comment="  ")
    count_reject(count=count, by=cast.gm, comment="差异太大，请复盘")

    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    assert count.decision_comment == "差异太大，请复盘"
    assert Notification.objects.filter(user=cast.warehouse, object_id=str(count.pk)).exists()
    enter(count, stock, cast.warehouse, a=("35", "复盘确认漏盘"))
    count_submit(count=count, by=cast.warehouse)
    count_approve(count=count, by=cast.deputy)
    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert level(stock, "a").on_hand == Decimal("35")


def test_transitions_out_of_order_are_refused(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    with pytest.raises(InvalidTransition):
        count_approve(count=count, by=cast.finance)
    enter(count, stock, cast.warehouse, a="10", b="20", c="5")
    count_submit(count=count, by=cast.warehouse)
    with pytest.raises(InvalidTransition):
        count_submit(count=count, by=cast.warehouse)
    with pytest.raises(InvalidTransition):
        enter(count, stock, cast.warehouse, a="1")
    with pytest.raises(InvalidTransition):
        count_cancel(count=count, by=cast.warehouse)
    assert level(stock, "a").on_hand == Decimal("10")


def test_cancel_adjusts_nothing_and_frees_the_warehouse(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("1", "x"), b="20", c="5")
    count_cancel(count=count, by=cast.warehouse, reason="盘错仓库")
    count.refresh_from_db()
    assert count.status == CountStatus.CANCELLED
    assert level(stock, "a").on_hand == Decimal("10")
    with pytest.raises(PermissionDenied):
        count_cancel(count=count, by=cast.sales1)


def test_posting_that_would_go_negative_rolls_back_everything(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    enter(count, stock, cast.warehouse, a=("2", "丢失"), b=("19", "破损"), c="5")
    stock_ship(warehouse=stock["warehouse"], lines=[Line(stock["a"], "9")], by=cast.warehouse, reason="样品")

    with pytest.raises(InsufficientStock):
        count_submit(count=count, by=cast.warehouse)

    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    assert level(stock, "b").on_hand == Decimal("20")
    assert not StockMove.objects.filter(document_type="stock_count").exists()


# ---- quarterly reminder --------------------------------------------------------------------------


def _post_count_at(moment, warehouse, cast):
    with time_machine.travel(moment, tick=False):
        count = count_create(warehouse=warehouse, by=cast.warehouse)
        count_enter(
            count=count,
            entries={line.product_id: {"counted": str(line.expected), "reason": ""} for line in count.lines.all()},
            by=cast.warehouse,
        )
        count_submit(count=count, by=cast.warehouse)
    return count


def test_quarterly_reminder_goes_to_warehouses_without_a_recent_posted_count(cast, stock):
    counted = stock["warehouse"]
    keeper = cast.clerk  # a keeper outside the warehouse role is reminded too
    idle = warehouse_create(fields={"code": "ZZ", "name": "郑州库", "keeper": keeper}, by=None)
    warehouse_create(fields={"code": "OLD", "name": "旧库", "is_active": False}, by=None)
    _post_count_at(dt.datetime(2026, 2, 16, 10, tzinfo=SHANGHAI), counted, cast)

    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=SHANGHAI), tick=False):
        sent = count_reminders(today=dt.date(2026, 4, 1))
        again = count_reminders(today=dt.date(2026, 4, 1))

    assert sent == 2
    assert again == 0
    reminders = Notification.objects.filter(object_type="stock.warehouse")
    assert set(reminders.values_list("user__username", "object_id")) == {
        ("warehouse", str(idle.pk)),
        ("clerk", str(idle.pk)),
    }
    assert "郑州库" in reminders.first().title


def test_reminder_only_on_the_first_workday_of_a_quarter(cast, stock):
    assert count_reminders(today=dt.date(2026, 4, 2)) == 0
    assert count_reminders(today=dt.date(2026, 5, 4)) == 0
    assert count_reminders(today=dt.date(2026, 7, 2)) == 0  # 1 July (Wednesday) was the day
    assert not Notification.objects.filter(object_type="stock.warehouse").exists()


def test_reminder_skips_national_day_holidays(cast, stock):
    CalendarYear.objects.create(year=2026)
    for day in range(1, 8):
        CalendarDay.objects.create(date=dt.date(2026, 10, day), is_workday=False, name="国庆节")
    known_years.cache_clear()
    try:
        assert count_reminders(today=dt.date(2026, 10, 1)) == 0
        assert count_reminders(today=dt.date(2026, 10, 8)) == 1  # the warehouse user (also the keeper)
    finally:
        known_years.cache_clear()


def test_a_count_posted_more_than_90_days_ago_does_not_count(cast, stock):
    _post_count_at(dt.datetime(2025, 12, 31, 10, tzinfo=SHANGHAI), stock["warehouse"], cast)
    assert count_reminders(today=dt.date(2026, 4, 1)) == 1


# ---- demo step -----------------------------------------------------------------------------------


def _demo_context(cast):
    import random

    from django.utils import timezone

    from neiqin.demo.context import SCALES, Clock, DemoContext

    clock = Clock(timezone.now())
    ctx = DemoContext(seed=7, scale=SCALES["tiny"], clock=clock, rng=random.Random(7), log=lambda _m: None)
    ctx.users = {"warehouse": cast.warehouse, "finance": cast.finance, "admin": cast.admin}
    return ctx


def test_demo_step_without_catalog_does_nothing(cast):
    from neiqin.demo import stock_counts as demo

    demo.build(_demo_context(cast))
    assert StockCount.objects.count() == 0


def test_demo_step_posts_last_quarter_and_leaves_one_in_progress_in_xian(cast, stock):
    from neiqin.demo import stock_counts as demo

    xian = warehouse_create(fields={"code": "XA", "name": "西安库"}, by=None)
    stock_receive(warehouse=xian, lines=[Line(stock["a"], "30"), Line(stock["b"], "12")], by=cast.warehouse)

    demo.build(_demo_context(cast))

    posted = StockCount.objects.filter(status=CountStatus.POSTED)
    assert sorted(posted.values_list("warehouse__name", flat=True)) == ["西安库", "长沙库"]
    assert StockCount.objects.filter(status=CountStatus.COUNTING, warehouse=xian).count() == 1
    assert StockMove.objects.filter(document_type="stock_count").exists()
    for level_row in StockLevel.objects.all():
        assert level_row.on_hand == ledger_balance(warehouse=level_row.warehouse, product=level_row.product)
