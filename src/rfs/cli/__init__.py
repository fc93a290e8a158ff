"""The ``rfs`` command line (typer + rich, imported only when the command runs)."""
