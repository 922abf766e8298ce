from decimal import Decimal

from django.db import migrations

RULES = [
    ("below_floor", "below_floor", "低于底价", "deputy_gm", None),
    ("credit_sale", "credit_sale", "赊销/月结", "gm", None),
    ("overdue", "overdue", "客户拖欠", "gm", None),
    ("credit_limit", "credit_limit", "超信用额度", "gm", None),
    ("special_product", "special_product", "特殊/定制产品", "sales_manager", None),
    ("amount_manager", "amount", "订单金额超 20 万", "sales_manager", "200000.00"),
    ("amount_gm", "amount", "订单金额超 100 万", "gm", "1000000.00"),
    ("discount_manager", "discount", "折扣超 5%", "sales_manager", "5.00"),
    ("discount_deputy", "discount", "折扣超 15%", "deputy_gm", "15.00"),
]


def create_rules(apps, schema_editor):
    rule = apps.get_model("sales", "ApprovalRule")
    for order, (code, kind, name, role, threshold) in enumerate(RULES):
        rule.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "approver_role": role,
                "threshold": Decimal(threshold) if threshold else None,
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
