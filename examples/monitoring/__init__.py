"""rfs.monitoring examples in seed 004's layout: logging, a metrics dashboard, testing patterns."""
