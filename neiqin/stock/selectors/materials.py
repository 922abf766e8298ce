"""Stock selectors: materials."""
