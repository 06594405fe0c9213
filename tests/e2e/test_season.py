"""`guatan generate-season`: a season of data that the running service reads as its own."""

import uuid

import requests

from conftest import Server, postgres, psql, run_cli


def sign_in(server, username):
    answer = requests.post(server.base + "/api/v1/auth/login", json={"username": username, "password": "guatan-demo-2026"}, timeout=10)
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["token"]}


def test_a_generated_week_is_served_like_a_lived_one(workdir):
    data = workdir / "data"
    made = run_cli("generate-season", "--season", "2026", "--through", "2026-06-21", data=data)
    assert made.returncode == 0, made.stderr
    assert "7 days" in made.stdout and "check-ins" in made.stdout
    # It fills new folders only: a second run would mix two seasons.
    again = run_cli("generate-season", data=data)
    assert again.returncode != 0 and "already holds a database" in again.stderr

    server = Server(data, "--now", "2026-06-22T19:00:00+08:00").start()
    try:
        admin = sign_in(server, "demo.admin")
        stats = server.get("/api/v1/admin/stats?from=2026-06-15&to=2026-06-21", headers=admin).json()
        rates = [r for r in stats["checkin_rates"] if r["issued"]]
        assert len(rates) == 7 * 4
        assert all(0.5 < r["rate"] <= 1 for r in rates), rates
        assert sum(sum(v.values()) for v in stats["reports_by_category"].values()) > 500
        assert stats["cases_with_time_limit"] > 0 and stats["hotspots"]

        # A vendor's history, an officer's queue, the public record of a stall.
        vendor = sign_in(server, "demo.v0001")
        history = server.get("/api/v1/me/checkins", headers=vendor).json()
        assert 0 < history["total"] <= 7
        officer = sign_in(server, "demo.officer.cg")
        queue = server.get("/api/v1/officer/queue", headers=officer).json()
        assert queue["district"] == "CG" and queue["items"]
        inspected = server.get("/api/v1/inspections?district=CG", headers=officer).json()
        assert inspected["total"] > 0
        slot = inspected["items"][0]["slot_id"]
        stall = server.get(f"/api/v1/stalls/{slot}").json()
        assert stall["last_inspection"]["date"] <= "2026-06-21"
        reports = server.get("/api/v1/reports?district=CG&status=closed").json()
        assert reports["total"] > 0
        assert all("contact_phone" not in r for r in reports["items"])
    finally:
        server.stop()


def test_a_generated_week_goes_into_postgresql_as_it_would_into_a_folder(workdir):
    """`generate-season --database URL`: the same season (same random seed) as in a SQLite
    folder, moved into an empty PostgreSQL database and served from there alike."""
    server_url = postgres("start")
    name = "guatan_gen_" + uuid.uuid4().hex[:12]
    psql(server_url, f"CREATE DATABASE {name}")
    database = server_url.rsplit("/", 1)[0] + "/" + name
    try:
        shared = workdir / "shared"
        made = run_cli("generate-season", "--season", "2026", "--through", "2026-06-18", "--database", database, data=shared)
        assert made.returncode == 0, made.stderr + made.stdout
        assert "4 days" in made.stdout and "every count equal" in made.stdout
        # The folder keeps only what the instances need: the key (no scratch database left).
        assert sorted(p.name for p in shared.iterdir()) == ["personal-data.key"]
        again = run_cli("generate-season", "--database", database, data=shared)
        assert again.returncode != 0 and "not empty" in again.stderr

        folder = workdir / "folder"
        assert run_cli("generate-season", "--season", "2026", "--through", "2026-06-18", data=folder).returncode == 0
        now = ("--now", "2026-06-19T19:00:00+08:00")
        on_postgres = Server(shared, "--database", database, *now).start(timeout=60)
        on_sqlite = Server(folder, *now).start()
        try:
            answers = []
            for server in (on_postgres, on_sqlite):
                admin = sign_in(server, "demo.admin")
                stats = server.get("/api/v1/admin/stats?from=2026-06-15&to=2026-06-18", headers=admin).json()
                stats.pop("as_of", None)
                officer = sign_in(server, "demo.officer.cg")
                queue = server.get("/api/v1/officer/queue", headers=officer).json()
                answers.append((stats, queue, server.get("/api/v1/map.geojson").json()))
            assert answers[0][0]["checkin_rates"] and answers[0][1]["items"]
            assert answers[0] == answers[1]
        finally:
            on_postgres.stop()
            on_sqlite.stop()
    finally:
        psql(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
