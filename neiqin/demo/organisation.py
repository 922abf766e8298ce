"""Step 1: sales regions, teams and the people of 涵瑞建筑 (every login's password is demo1234).

Regions and teams are reference data without an audited service yet, so they are created with
``get_or_create``; users go through ``accounts.services.user_create``. Existing rows are reused,
so the step can run on a database that already has some of them (``build_demo --force``).
"""

from __future__ import annotations

from dataclasses import dataclass

from neiqin.accounts.models import Region, Team, User
from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create, user_set_notification_email
from neiqin.demo.context import HISTORY_WORKDAYS, At, DemoContext
from neiqin.demo.vocabulary import REGIONS

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    region: str  # region code
    provinces: tuple[str, ...]  # customers from these provinces go to this team
    manager: str  # username


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    role: str
    team: str = ""
    weight: float = 1.0  # share of customers for salespeople


TEAMS = (
    TeamSpec("长沙一组", "HZ", ("湖南", "湖北", "广东", "广西", "海南"), "manager"),
    TeamSpec(
        "郑州二组",
        "HZ",
        ("河南", "北京", "天津", "河北", "山西", "上海", "江苏", "浙江", "安徽", "福建", "山东"),
        "manager2",
    ),
    TeamSpec("西安三组", "XB", ("陕西", "甘肃", "宁夏", "青海", "新疆"), "manager3"),
)

USERS = (
    UserSpec("admin", "赵磊", Role.ADMIN),
    UserSpec("clerk", "王丽", Role.CLERK),
    UserSpec("gm", "黄建国", Role.GM),
    UserSpec("deputy", "周涛", Role.DEPUTY_GM),
    UserSpec("finance", "陈静", Role.FINANCE),
    UserSpec("warehouse", "杨军", Role.WAREHOUSE),
    UserSpec("manager", "刘洋", Role.SALES_MANAGER, "长沙一组"),
    UserSpec("manager2", "孙鹏", Role.SALES_MANAGER, "郑州二组"),
    UserSpec("manager3", "马超", Role.SALES_MANAGER, "西安三组"),
    UserSpec("sales1", "张伟", Role.SALESPERSON, "长沙一组", 1.6),
    UserSpec("sales2", "李强", Role.SALESPERSON, "郑州二组", 1.6),
    UserSpec("sales3", "吴敏", Role.SALESPERSON, "西安三组", 1.3),
    UserSpec("sales4", "徐磊", Role.SALESPERSON, "长沙一组"),
    UserSpec("sales5", "胡杰", Role.SALESPERSON, "郑州二组"),
    UserSpec("sales6", "郭涛", Role.SALESPERSON, "西安三组"),
    UserSpec("sales7", "何静", Role.SALESPERSON, "长沙一组", 0.8),
    UserSpec("sales8", "罗斌", Role.SALESPERSON, "郑州二组", 0.8),
)

# The logins printed by ``neiqin demo``, in this order.
FEATURED_LOGINS = ("admin", "clerk", "sales1", "sales2", "manager", "finance", "warehouse", "gm")


def salespeople_of(team: str) -> list[UserSpec]:
    return [u for u in USERS if u.role == Role.SALESPERSON and u.team == team]


def team_for_province(province: str) -> TeamSpec:
    for team in TEAMS:
        if province in team.provinces:
            return team
    return TEAMS[0]


def build_organisation(ctx: DemoContext) -> None:
    for code, name, provinces in REGIONS:
        ctx.regions[code], _ = Region.objects.get_or_create(code=code, defaults={"name": name, "provinces": provinces})
    for spec in TEAMS:
        ctx.teams[spec.name], _ = Team.objects.get_or_create(
            name=spec.name, defaults={"region": ctx.regions[spec.region]}
        )
    admin = None
    with ctx.clock.at(At(days_ago=HISTORY_WORKDAYS + 10)):  # the company predates its customers
        for spec in USERS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = user_create(
                    username=spec.username,
                    password=DEMO_PASSWORD,
                    display_name=spec.display_name,
                    role_codes=[spec.role],
                    team=ctx.teams.get(spec.team),
                    by=admin,
                    check_password=False,
                )
                # Notification e-mails (SYS-5) go to a reserved domain: `neiqin worker` shows them
                # on its console (the default e-mail backend) and nothing leaves the machine.
                user = user_set_notification_email(
                    user=user, email=f"{spec.username}@neiqin-demo.example", enabled=True, by=user
                )
                ctx.stats["users"] += 1
            admin = admin or user
            ctx.users[spec.username] = user
    for spec in TEAMS:
        team = ctx.teams[spec.name]
        if team.manager_id is None:
            team.manager = ctx.users[spec.manager]
            team.save(update_fields=["manager"])
