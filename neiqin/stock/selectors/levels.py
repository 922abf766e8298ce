"""Stock selectors: levels."""
