"""Stock selectors, one module per area."""
