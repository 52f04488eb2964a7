"""`llmtco serve` answers to loopback, the --allowed-host names and a specific --host address; nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from llmtco.cli.server import served_hosts
from llmtco.web.app import create_app


def test_served_hosts_take_the_flag_and_a_specific_bind_address() -> None:
    assert served_hosts("127.0.0.1", []) == ["127.0.0.1"]
    assert served_hosts("0.0.0.0", ["tco.example.org"]) == ["tco.example.org"]
    assert served_hosts("10.0.0.5", ["tco.example.org", " "]) == ["tco.example.org", "10.0.0.5"]
    assert served_hosts("::", []) == [] and served_hosts("[fd00::1]", []) == ["fd00::1"]


def test_the_app_refuses_a_host_it_was_not_given(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(f"sqlite:///{tmp_path / 'db.sqlite'}", hosts=served_hosts("0.0.0.0", ["tco.example.org"]))
    with TestClient(app, base_url="http://tco.example.org") as c:
        assert c.get("/api/v1/scenarios").status_code == 200
        assert c.get("/api/v1/scenarios", headers={"host": "evil.example"}).status_code == 400
