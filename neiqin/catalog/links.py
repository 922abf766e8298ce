"""The catalogue's pages, for links from notifications (``neiqin.core.links``)."""

from neiqin.core import links

links.register_detail("catalog.product", "catalog:product_detail")
links.register_detail("catalog.pricelist", "catalog:price_list_detail")
links.register_detail("catalog.pricechange", "catalog:price_change_detail")
