"""Event backends, one module each; each imports its own client library."""
