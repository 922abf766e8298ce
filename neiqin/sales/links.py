"""The order desk's pages, for links from notifications (``neiqin.core.links``)."""

from django.urls import reverse

from neiqin.core import links

links.register_detail("sales.salesorder", "sales:order_detail")
links.register_detail("sales.quotation", "sales:quotation_detail")
links.register_detail("sales.contract", "sales:contract_detail")
links.register_detail("sales.opportunity", "sales:opportunity_detail")


def _approval(object_id: str) -> str:
    """An approval request opens the document it is about (its figures and the decide form)."""
    from neiqin.sales.models import ApprovalRequest

    row = ApprovalRequest.objects.filter(pk=int(object_id)).values("order_id", "quotation_id").first()
    if row is None:
        return ""
    if row["order_id"]:
        return reverse("sales:order_detail", args=[row["order_id"]])
    if row["quotation_id"]:
        return reverse("sales:quotation_detail", args=[row["quotation_id"]])
    return reverse("sales:approval_queue")


links.register("sales.approvalrequest", _approval)
