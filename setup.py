"""Build hook for the optional C hot path of rfs.result and rfs.monitoring (pure Python is used
without it).

Without a C compiler the extension is skipped with a warning saying what that costs.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

WARNING = (
    "WARNING: rfs: the C fast path (rfs._speedups) could not be built ({}); rfs works in pure "
    "Python, with a ~4x slower Result chain and metrics recorder. Install a C compiler and "
    "Python headers, then reinstall; `rfs info` shows which is in use."
)


class OptionalBuildExt(build_ext):
    """``build_ext`` that reports a failed optional build loudly instead of silently."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all
            self.warn(WARNING.format(exc))
            print(WARNING.format(exc))

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # compiler present, build failed
            self.warn(WARNING.format(exc))
            print(WARNING.format(exc))


setup(
    ext_modules=[
        Extension(
            "rfs._speedups",
            ["src/rfs/_speedups.c", "src/rfs/_keyword_aliases.c", "src/rfs/_pending.c"],
        ),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
