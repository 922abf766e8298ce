"""The stock pages, for links from notifications (``neiqin.core.links``)."""

from django.urls import reverse

from neiqin.core import links

links.register_detail("stock.stockcount", "stock:count_detail")
links.register_detail("stock.productloan", "stock:loan_detail")
links.register_detail("stock.replenishmentrequest", "stock:replenishment_detail")
# A warehouse's notices are about its counts (the quarterly reminder): its list of counts.
links.register("stock.warehouse", lambda object_id: f"{reverse('stock:counts')}?warehouse={int(object_id)}")
