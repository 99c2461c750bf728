"""``workengine templates simulate`` refuses bad --anchor/--inputs/--fields with argparse's usage error
(exit 2, one line naming the argument), never a traceback."""

from __future__ import annotations

import pytest

from workengine_tools.cli.main import main

DEEP = '{"a": ' * 5000 + "1" + "}" * 5000


@pytest.mark.parametrize(
    ("argument", "value", "says"),
    [
        pytest.param("--anchor", "2026-13-01", "must be a date YYYY-MM-DD", id="month-13"),
        pytest.param("--anchor", "tomorrow", "must be a date YYYY-MM-DD", id="not-a-date"),
        pytest.param("--anchor", "9999-12-31", "must lie between 1970-01-01 and 2199-12-31", id="year-9999"),
        pytest.param("--anchor", "0001-01-01", "must lie between 1970-01-01 and 2199-12-31", id="year-1"),
        pytest.param("--inputs", "{bad", "not JSON", id="inputs-malformed"),
        pytest.param("--inputs", "[1]", "must be a JSON object", id="inputs-array"),
        pytest.param("--inputs", DEEP, "nested too deeply", id="inputs-deep"),
        pytest.param("--fields", DEEP, "nested too deeply", id="fields-deep"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(
    capsys: pytest.CaptureFixture[str], argument: str, value: str, says: str
) -> None:
    args = ["templates", "simulate", "customer-renewal", "--anchor", "2030-06-30", argument, value]

    with pytest.raises(SystemExit) as exited:
        main(args)

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argument}: {says}" in err and "Traceback" not in err
