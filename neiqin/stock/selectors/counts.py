"""Stock selectors: counts."""
