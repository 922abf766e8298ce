"""The customer archive's pages, for links from notifications (``neiqin.core.links``)."""

from neiqin.core import links

links.register_detail("customers.customer", "customers:detail")
