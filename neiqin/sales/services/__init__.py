"""Order desk services: every write to opportunities, quotations, contracts, orders and
approvals goes through here."""

from neiqin.core import audit

audit.register("sales.opportunity")
audit.register("sales.quotation")
audit.register("sales.contract")
audit.register("sales.salesorder")
audit.register("sales.approvalrequest")
audit.register("sales.approvalrule")
