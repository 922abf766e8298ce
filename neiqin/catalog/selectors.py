"""Reading the catalogue: product lists and search, price lists, and the price resolution that
the order desk calls for every line: (customer, product, date, quantity) → unit price and
where it came from (PRD-2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from neiqin.catalog.choices import PriceListKind, PriceSource, ProductKind
from neiqin.catalog.models import PriceChange, PriceList, PriceListItem, Product
from neiqin.catalog.services.validation import normalize_model
from neiqin.core.errors import NotFound
from neiqin.core.pinyin import is_pinyin_query

ONE = Decimal("1")


@dataclass(frozen=True)
class ResolvedPrice:
    """A unit price and its provenance, as shown next to the price on every document line."""

    product_id: int
    unit_price: Decimal
    source: str
    price_list_id: int | None = None
    price_list_name: str = ""
    item_id: int | None = None
    effective_from: dt.date | None = None
    min_quantity: Decimal = Decimal("0")
    floor_price: Decimal | None = field(default=None, repr=False)
    includes_tax: bool = True
    vat_rate: Decimal = Decimal("0.13")

    @property
    def source_label(self) -> str:
        return str(PriceSource(self.source).label)

    def below_floor(self, unit_price: Decimal | None = None) -> bool:
        price = self.unit_price if unit_price is None else unit_price
        return self.floor_price is not None and price < self.floor_price


@dataclass
class ProductFilters:
    q: str = ""
    series: int | None = None
    brand: str = ""
    kind: str = ""
    active: bool | None = True
    special: bool | None = None
    sort: str = "model"


SORTS = {
    "model": ("model", "spec", "id"),
    "-model": ("-model", "-spec", "-id"),
    "name": ("name", "id"),
    "series": ("series__sort_order", "series__name", "model", "id"),
    "price": ("standard_price", "id"),
    "-price": ("-standard_price", "-id"),
    "updated": ("-updated_at", "-id"),
}


def product_search_q(q: str) -> Q:
    """Model (型号, spaces and case ignored), code, barcode, name, pinyin of the name."""
    q = (q or "").strip()
    if not q:
        return Q()
    compact = normalize_model(q)
    cond = Q(model_normalized__startswith=compact) | Q(code__iexact=q) | Q(barcode=q)
    cond |= Q(name__icontains=q) | Q(model__icontains=q) | Q(spec__icontains=q) | Q(brand__icontains=q)
    if is_pinyin_query(q):
        lowered = q.lower()
        cond |= Q(search_initials__contains=lowered) | Q(search_pinyin__contains=lowered)
    return cond


def product_list(*, filters: ProductFilters | None = None) -> QuerySet[Product]:
    """Products are not scoped by owner: everybody who sees the catalogue sees every product;
    what differs per role is which price fields are shown (``catalog.visibility``)."""
    filters = filters or ProductFilters()
    qs = Product.objects.select_related("series")
    if filters.q:
        qs = qs.filter(product_search_q(filters.q))
    if filters.series:
        qs = qs.filter(series_id=filters.series)
    if filters.brand:
        qs = qs.filter(brand=filters.brand)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.special is not None:
        qs = qs.filter(is_special=filters.special)
    return qs.order_by(*SORTS.get(filters.sort, SORTS["model"]))


def product_get(*, pk: Any) -> Product:
    try:
        return Product.objects.select_related("series").get(pk=int(pk))
    except (Product.DoesNotExist, TypeError, ValueError):
        from django.utils.translation import gettext as _

        raise NotFound(_("产品不存在。"))


def product_by_model(model: str, spec: str | None = None) -> Product | None:
    """The product a clerk means by a 型号 (and 规格 when several share the model)."""
    qs = Product.objects.filter(model_normalized=normalize_model(model))
    if spec is not None:
        qs = qs.filter(spec=spec.strip())
    found = list(qs[:2])
    return found[0] if len(found) == 1 else None


def sellable(qs: QuerySet[Product] | None = None) -> QuerySet[Product]:
    return (qs if qs is not None else Product.objects.all()).filter(is_active=True, kind=ProductKind.GOODS)


# --- price lists ----------------------------------------------------------------------------------


def price_lists_for(*, user: Any) -> QuerySet[PriceList]:
    """Company and grade lists for everybody who sees prices; customer lists within the user's
    customer scope (a salesperson sees the lists of own customers only)."""
    from neiqin.catalog.visibility import sees_prices
    from neiqin.customers.selectors import customer_queryset

    if not sees_prices(user):
        return PriceList.objects.none()
    visible_customers = customer_queryset(user=user).values("pk")
    return PriceList.objects.select_related("customer").filter(
        ~Q(kind=PriceListKind.CUSTOMER) | Q(customer_id__in=visible_customers)
    )


def price_list_get_for_user(*, user: Any, pk: Any) -> PriceList:
    from django.utils.translation import gettext as _

    try:
        return price_lists_for(user=user).get(pk=int(pk))
    except (PriceList.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("价格表不存在。"))


def current_items(*, price_list: PriceList, on: dt.date | None = None) -> list[PriceListItem]:
    """The items in force on ``on``: per (product, quantity break) the latest one, by model."""
    on = on or timezone.localdate()
    items = (
        PriceListItem.objects.filter(price_list=price_list, effective_from__lte=on)
        .select_related("product", "product__series")
        .order_by("product__model", "product__spec", "product_id", "min_quantity", "-effective_from", "-id")
    )
    seen: set[tuple[int, Decimal]] = set()
    result = []
    for item in items:
        key = (item.product_id, item.min_quantity)
        if key in seen:
            continue
        seen.add(key)
        result.append(item)
    return result


def scheduled_items(*, price_list: PriceList, on: dt.date | None = None) -> QuerySet[PriceListItem]:
    """Changes not yet in force."""
    on = on or timezone.localdate()
    return (
        PriceListItem.objects.filter(price_list=price_list, effective_from__gt=on)
        .select_related("product")
        .order_by("effective_from", "product__model")
    )


def price_history(*, product: Product, user: Any) -> QuerySet[PriceChange]:
    visible = price_lists_for(user=user).values("pk")
    return (
        PriceChange.objects.filter(product=product, price_list_id__in=visible)
        .select_related("price_list", "created_by")
        .order_by("-effective_from", "-id")
    )


def price_changes_for(*, user: Any) -> QuerySet[PriceChange]:
    visible = price_lists_for(user=user).values("pk")
    return PriceChange.objects.filter(price_list_id__in=visible).select_related("product", "price_list", "created_by")


def price_change_get_for_user(*, user: Any, pk: Any) -> PriceChange:
    from django.utils.translation import gettext as _

    try:
        return price_changes_for(user=user).get(pk=int(pk))
    except (PriceChange.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("调价记录不存在。"))


def affected_customers(*, change: PriceChange, user: Any) -> QuerySet[Any]:
    """The customers a change affects, as far as the user may see them."""
    from neiqin.customers.selectors import customer_queryset

    ids = change.affected.values("customer_id")
    return customer_queryset(user=user).filter(pk__in=ids).select_related("owner").order_by("name")


# --- resolution -----------------------------------------------------------------------------------


def _lists_for_customer(customer: Any) -> list[PriceList]:
    """Applicable lists in precedence order: the customer's own, its grade's, the company's."""
    cond = Q(kind=PriceListKind.COMPANY)
    if customer is not None:
        cond |= Q(kind=PriceListKind.CUSTOMER, customer_id=customer.pk)
        if customer.grade:
            cond |= Q(kind=PriceListKind.GRADE, grade=customer.grade)
    order = {PriceListKind.CUSTOMER: 0, PriceListKind.GRADE: 1, PriceListKind.COMPANY: 2}
    return sorted(PriceList.objects.filter(cond, is_active=True), key=lambda pl: order[pl.kind])


def resolve_prices(
    *,
    products: Sequence[Product],
    customer: Any = None,
    on: dt.date | None = None,
    quantities: dict[int, Decimal] | None = None,
) -> dict[int, ResolvedPrice]:
    """Resolve many products at once (one query for the items): product id → ResolvedPrice.

    Precedence: customer list, then grade list, then company list, then the product's standard
    price. Within one list, per quantity break the latest item effective on ``on`` counts, and
    of the breaks the quantity reaches, the lowest price wins.
    """
    on = on or timezone.localdate()
    quantities = quantities or {}
    lists = _lists_for_customer(customer)
    rank = {pl.pk: index for index, pl in enumerate(lists)}
    by_id = {pl.pk: pl for pl in lists}
    items = PriceListItem.objects.filter(
        price_list_id__in=list(rank), product_id__in=[p.pk for p in products], effective_from__lte=on
    ).order_by("price_list_id", "product_id", "min_quantity", "-effective_from", "-id")
    # (list, product) -> {break: latest item}
    latest: dict[tuple[int, int], dict[Decimal, PriceListItem]] = {}
    for item in items:
        latest.setdefault((item.price_list_id, item.product_id), {}).setdefault(item.min_quantity, item)
    result: dict[int, ResolvedPrice] = {}
    for product in products:
        quantity = quantities.get(product.pk, ONE)
        best: PriceListItem | None = None
        for pl in lists:
            breaks = latest.get((pl.pk, product.pk), {})
            candidates = [item for minimum, item in breaks.items() if minimum <= quantity]
            if candidates:
                best = min(candidates, key=lambda i: (i.unit_price, -i.min_quantity))
                break
        result[product.pk] = _resolved(product, best, by_id.get(best.price_list_id) if best else None)
    return result


def _resolved(product: Product, item: PriceListItem | None, price_list: PriceList | None) -> ResolvedPrice:
    common = {
        "product_id": product.pk,
        "floor_price": product.floor_price,
        "includes_tax": product.price_includes_tax,
        "vat_rate": Decimal(product.vat_rate),
    }
    if item is None or price_list is None:
        return ResolvedPrice(unit_price=product.standard_price, source=PriceSource.STANDARD, **common)
    return ResolvedPrice(
        unit_price=item.unit_price,
        source=PriceSource(price_list.kind),
        price_list_id=price_list.pk,
        price_list_name=price_list.name,
        item_id=item.pk,
        effective_from=item.effective_from,
        min_quantity=item.min_quantity,
        **common,
    )


def resolve_price(
    *, product: Product, customer: Any = None, on: dt.date | None = None, quantity: Decimal | None = None
) -> ResolvedPrice:
    """(customer, product, date, quantity) → unit price and where it came from."""
    quantities = {product.pk: quantity} if quantity is not None else None
    return resolve_prices(products=[product], customer=customer, on=on, quantities=quantities)[product.pk]


def products_by_ids(ids: Iterable[int]) -> dict[int, Product]:
    return {p.pk: p for p in Product.objects.filter(pk__in=list(ids))}
