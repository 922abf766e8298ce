"""Multi-warehouse stock (INV-1 … INV-6): the move ledger and the levels it maintains,
reservations, replenishment requests, stock counts, slow-moving stock, promotional materials
and product loans."""
