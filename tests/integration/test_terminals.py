"""Terminals enrol once with a one-time code; a revoked terminal is refused."""

import pytest

from kiosk_app.services import terminals
from kiosk_app.services.errors import DomainError


def test_an_enrolment_code_works_once(ctx):
    kiosk = terminals.get_by_code("HQ-K1")
    code = terminals.issue_enrolment_code(kiosk)
    terminal, credential = terminals.enrol(code.lower())
    assert terminal.id == kiosk.id
    assert terminals.authenticate(credential).id == kiosk.id
    with pytest.raises(DomainError):
        terminals.enrol(code)


@pytest.mark.parametrize("credential", [None, "", "garbage", "1.wrong-secret", "x.y", "999.abc"])
def test_wrong_credentials_are_nobody(ctx, credential):
    assert terminals.authenticate(credential) is None


def test_a_revoked_terminal_is_refused(ctx):
    kiosk = terminals.get_by_code("HQ-K1")
    _, credential = terminals.enrol(terminals.issue_enrolment_code(kiosk))
    terminals.revoke(kiosk)
    assert terminals.authenticate(credential) is None


def test_cli_prints_a_code_that_enrols(app):
    result = app.test_cli_runner().invoke(args=["terminal-enrolment", "HQ-K1"])
    assert result.exit_code == 0, result.output
    code = result.output.split(": ", 1)[1].split()[0]
    with app.app_context():
        terminal, _ = terminals.enrol(code)
        assert terminal.code == "HQ-K1"
