"""``build_demo``: fill an empty database with the demo company 涵瑞建筑 (see neiqin/demo)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from neiqin.customers.models import Contact, Customer, KeyDate
from neiqin.demo.builder import build_demo
from neiqin.demo.context import SCALES, step_rng
from neiqin.demo.customers import plan_customers, plan_summary


class Command(BaseCommand):
    help = "Build the demo company (users, teams, customers) through the services. Password of every login: demo1234."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="same seed, same company (default 7)")
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="customers: " + ", ".join(f"{s.name} {s.customers:,}" for s in SCALES.values()),
        )
        parser.add_argument("--force", action="store_true", help="add the demo even though customers exist")
        parser.add_argument("--dry-run", action="store_true", help="plan the customers, print a summary, write nothing")

    def handle(self, *args, seed, scale, force, dry_run, **options):
        if dry_run:
            self._summarise_plan(seed, scale)
            return
        if Customer.objects.exists() and not force:
            raise CommandError("数据库中已有客户数据，未生成演示数据。确需在现有数据上追加，请加 --force。")
        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        ctx = build_demo(seed=seed, scale=scale, log=self.stdout.write if verbose else lambda _line: None)
        if verbose:
            self._summarise_database(ctx.stats, time.monotonic() - started)

    def _summarise_plan(self, seed: int, scale: str) -> None:
        plans = plan_customers(step_rng(seed, "customers"), SCALES[scale].customers)
        for axis, counts in plan_summary(plans).items():
            line = ", ".join(f"{key} {value}" for key, value in counts.most_common())
            self.stdout.write(f"{axis}: {line}")
        for plan in plans[:5]:
            self.stdout.write(f"  {plan.name} · {plan.fields.get('credit_code', '')} · {plan.final_owner or '公海'}")

    def _summarise_database(self, stats, seconds: float) -> None:
        now = timezone.now()
        owned = Customer.objects.filter(owner__isnull=False)
        waiting = owned.filter(acknowledged_at__isnull=True)
        self.stdout.write(
            f"[demo] 完成，用时 {seconds:.1f} 秒：新建用户 {stats['users']} 个，客户 {stats['customers']} 个"
            f"（公海 {Customer.objects.filter(owner__isnull=True).count()}，"
            f"待确认交接 {waiting.filter(handover_due_at__gte=now).count()}，"
            f"交接超时 {waiting.filter(handover_due_at__lt=now).count()}），"
            f"联系人 {Contact.objects.count()}，关键日期 {KeyDate.objects.count()}"
        )
        if stats["customers_skipped_duplicate"]:
            self.stdout.write(f"[demo] 跳过与已有客户重复的 {stats['customers_skipped_duplicate']} 个客户")
