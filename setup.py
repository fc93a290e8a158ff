"""Build hook for the optional C hot path of rfs.result (pure Python is used without it)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "rfs._speedups",
            ["src/rfs/_speedups.c", "src/rfs/_keyword_aliases.c"],
            optional=True,
        ),
    ]
)
