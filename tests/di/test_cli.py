"""``rfs di check``: exit 0 with the bindings when the wiring is sound, 1 with each problem."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from rfs.cli.di import register


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Test root."""

    register(root)
    return root


def test_check_passes_for_the_prod_profile_of_the_example() -> None:
    """The example package is wired for prod: exit 0 and its adapters listed."""
    result = CliRunner().invoke(
        app(),
        ["di", "check", "examples.hexagonal_orders", "--profile", "prod"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "SqlOrders" in result.output and "wiring OK" in result.output
    assert "InMemoryOrders" not in result.output


def test_check_fails_listing_every_problem() -> None:
    """Under a profile with no adapters, exit 1 and name both missing ports with the chain."""
    args = ["di", "check", "examples.hexagonal_orders", "-p", "staging"]
    result = CliRunner().invoke(app(), args, env={"COLUMNS": "400"})
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output
    assert "PlaceOrder → OrderRepository" in result.output
    assert "PlaceOrder → PaymentGateway" in result.output


def test_check_of_a_missing_package_exits_2() -> None:
    """A package that cannot be imported is a usage error, not a wiring report."""
    result = CliRunner().invoke(app(), ["di", "check", "no_such_package_xyz"])
    assert result.exit_code == 2
