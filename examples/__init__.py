"""Small runnable programs, one per feature; ``python -m examples`` runs them all."""
