"""A seeded sandbox on a database that outlives it: every restart replays the
same id sequence, yet no id may ever collide with a stored one (which used to
hand organisation B the basket of organisation A, and then fail with a 500)."""

from __future__ import annotations

import httpx

COOKIE = "limio-landing-state"
RESTARTS = 3  # runs on one database file


def bearer(server, org_index: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.orgs[org_index].demo_token}"}


def offer_lines(server) -> list[dict]:
    items = httpx.get(f"{server.base_url}/offers/v2", headers=bearer(server, 0)).json()["items"]
    wanted = ("Digital Monthly", "Puzzles & Crosswords")
    return [{"offer": {"id": o["id"], "version": o["version"]}}
            for o in items if o["name"] in wanted]


def initiate(server, org_index: int, external_id: str, lines: list[dict]) -> httpx.Response:
    body = {"order": {"orderItems": lines, "external_id": external_id, "country": "GB",
                      "source": "pytest", "order_type": "new"}}
    return httpx.post(f"{server.base_url}/partner/checkout/initiate", json=body,
                      headers=bearer(server, org_index))


def add(server, org_index: int, cookie: str, offer_id: str) -> httpx.Response:
    return httpx.put(
        f"{server.base_url}/partner/checkout/update",
        json={"orderActions": [{"orderItemActionType": "add", "offerId": offer_id}]},
        headers={**bearer(server, org_index), "Cookie": f"{COOKIE}={cookie}"},
    )


def validate(server, org_index: int, basket_id: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/partner/checkout/validate/{basket_id}",
                      headers=bearer(server, org_index))


def test_restarts_with_the_same_seed_never_reuse_a_stored_id(fresh_sandbox_factory, tmp_path):
    db_path = tmp_path / "sandbox.sqlite3"
    made: dict[str, tuple[int, list[str]]] = {}  # basket id -> (org, its item ids)
    for run in range(RESTARTS):
        server = fresh_sandbox_factory(db_path=db_path, seed=7)
        lines = offer_lines(server)
        # Both organisations, in both orders, so each replays the other's ids.
        for org_index in (run % 2, 1 - run % 2):
            reply = initiate(server, org_index, f"run-{run}-org-{org_index}", lines)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            updated = add(server, org_index, reply.cookies[COOKIE], lines[0]["offer"]["id"])
            assert updated.status_code == 200, updated.text
            items = [item["id"] for item in updated.json()["order"]["orderItems"]]
            assert body["id"] not in made, f"run {run}: basket id {body['id']} handed out again"
            made[body["id"]] = (org_index, items)

        # Every basket so far is intact and visible to its organisation only.
        for basket_id, (owner, items) in made.items():
            mine = validate(server, owner, basket_id)
            assert mine.status_code == 200, mine.text
            assert [i["id"] for i in mine.json()["checkout"]["orderItems"]] == items
            assert validate(server, 1 - owner, basket_id).status_code == 404
        server.stop()

    every_item = [item for _, items in made.values() for item in items]
    assert len(made) == 2 * RESTARTS
    assert len(every_item) == len(set(every_item)) == 2 * RESTARTS * 3


def test_a_fresh_database_still_gets_the_seeded_ids(fresh_sandbox_factory, tmp_path):
    # Checking against the store must not change what a seed means on a fresh start.
    first = [fresh_sandbox_factory(db_path=tmp_path / f"{n}.sqlite3", seed=7) for n in (1, 2)]
    ids = []
    for server in first:
        reply = initiate(server, 1, "seeded", offer_lines(server))
        ids.append((reply.json()["id"], [i["id"] for i in reply.json()["order"]["orderItems"]]))
    assert ids[0] == ids[1]
