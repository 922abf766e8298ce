"""Stock selectors: replenishment."""
