"""``python -m rfs``: the ``rfs`` command."""

from rfs.cli.main import main

if __name__ == "__main__":
    main()
