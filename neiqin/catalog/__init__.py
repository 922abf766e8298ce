"""Products and prices (PRD-1, PRD-2): the catalogue, price lists, dated price changes and the
price resolution the order desk calls."""
