"""The order desk (OPP-1, OPP-2, ORD-1 … ORD-8): opportunities, quotations, contracts, sales
orders, order checks and approvals."""
