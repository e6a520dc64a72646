"""The terminal agent's JSON API takes any body without a 500: malformed, of the wrong shape, deeply
nested or huge, each answered 400 with what the route takes (as JSON); generated bodies of every
shape never get a server error."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk_app.extensions import db
from kiosk_app.services import terminals

ROUTES = ("/api/terminal/enrol", "/api/terminal/commands/1", "/api/terminal/doors")

MALFORMED = [
    b"", b"not json", b"{", b'"x"', b"1", b"null", b"[]", b"true", b'{"code": {}}', b'{"code": ["x"]}',
    b'{"ok": "yes"}', b'{"ok": true, "error": 5}', b'{"ok": false, "fault": []}',
    b'{"boards": [1]}', b'{"boards": {"a": {"1": true}}}', b'{"boards": {"1": {"x": true}}}',
    b'{"boards": {"1": {"1": "closed"}}}', b'{"boards": {"1": [true]}}', b'{"faults": {"1": {"x": 1}}}',
    b'{"faults": {"99999999999999999999": "x"}}', b'{"boards": {"1180591620717411303424": {"1": true}}}',
    '{"boards": {"²": {"1": true}}}'.encode(), '{"boards": {"1": {"¹": true}}}'.encode(),
    b'{"ok": false, "error": "a\\u0000b"}', b'{"boards": {}, "faults": {"1": "\\u0000"}}',
    b'{"code": "\\u0000"}',
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"code": "' + b"x" * 70_000 + b'"}',
    "{\"code\": \"\udcff\"}".encode("utf-8", "surrogatepass"), b"\xff\xfe\x00",
]


@pytest.fixture
def agent(app):
    """A client holding HQ-L1's device credential (its lock line: the terminal agent)."""
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
        _terminal, credential = terminals.enrol(terminals.issue_enrolment_code(terminal))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {credential}"
    return client


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_bodies_get_a_400_that_says_what_to_send(agent, path, body):
    response = agent.post(path, data=body, content_type="application/json")
    assert response.status_code in (400, 413), (path, body[:40], response.status_code)
    assert response.is_json and response.get_json()["error"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.one_of(st.text(max_size=5), st.sampled_from(["code", "ok", "error", "fault", "boards", "faults", "1",
                                                         "2", "24"])), children, max_size=5),
    max_leaves=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ROUTES), body=JSON)
def test_no_body_of_any_shape_gets_a_server_error(agent, path, body):
    response = agent.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, (path, body)
    assert response.is_json


def test_without_a_credential_the_answer_is_401_whatever_the_body(app):
    client = app.test_client()
    for path in ROUTES[1:]:
        response = client.post(path, data=b"[[[", content_type="application/json")
        assert response.status_code == 401 and response.is_json
