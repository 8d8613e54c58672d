"""Bad arguments: one line naming what is wrong and where to look, exit status 2."""

from __future__ import annotations

import pytest

from atelier_cli.main import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["credits", "grant", "acct-1", "5", "--expires", "tomorrow"],
            "atelier credits grant: argument --expires: expected a duration like 30d, 12h, 90m "
            "or 45s from now, or an ISO date like 2030-01-31 or 2030-01-31T12:00:00Z, "
            "got 'tomorrow' (see atelier credits grant --help)",
        ),
        (
            ["credits", "grant", "acct-1", "five"],
            "atelier credits grant: argument amount: invalid int value: 'five' "
            "(see atelier credits grant --help)",
        ),
        (["token"], "atelier token: the following arguments are required: account"),
        (
            ["token", "acct-1", "--ttl", "soon"],
            "atelier token: argument --ttl: expected a duration",
        ),
        (["fly"], "atelier: argument command: invalid choice: 'fly'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_status_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert err.startswith(expected)
