"""A package for ``Registry.scan`` tests (annotated with an explicit throwaway registry)."""
