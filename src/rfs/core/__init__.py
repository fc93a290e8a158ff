"""RFS v4 import paths (``rfs.core.result``), kept as thin re-exports."""
