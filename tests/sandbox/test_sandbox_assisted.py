"""The assisted-checkout link is the only key to its page: its owner value
depends on a secret of the sandbox's database, not only on ids a caller knows."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from urllib.parse import parse_qs, urlsplit

import httpx

ACCOUNT = "001ACME"


def assisted_link(server, org_index: int = 0, external_id: str = "assisted-1",
                  account: str = ACCOUNT) -> str:
    token = server.orgs[org_index].demo_token
    headers = {"Authorization": f"Bearer {token}"}
    offers = httpx.get(f"{server.base_url}/offers/v2", headers=headers).json()["items"]
    offer = next(o for o in offers if o["name"] == "Digital Monthly")
    body = {"order": {"orderItems": [{"offer": {"id": offer["id"], "version": offer["version"]}}],
                      "external_id": external_id, "country": "GB", "source": "pytest",
                      "order_type": "new", "tracking": {"accountId": account}}}
    reply = httpx.post(f"{server.base_url}/partner/checkout/initiate", json=body,
                       headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["assistedCheckoutLink"]


def owner_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["owner"][0]


def with_owner(link: str, owner: str) -> str:
    return link.split("?")[0] + "?owner=" + owner


def guesses(org_id: str, account: str) -> set[str]:
    """What someone knowing only the organisation and account ids could compute."""
    texts = [f"{org_id}\n{account}", f"{org_id}:{account}", f"{org_id}{account}", account]
    found = set()
    for text in texts:
        for algorithm in ("sha256", "sha1", "md5", "sha512", "blake2b"):
            digest = hashlib.new(algorithm, text.encode()).hexdigest()
            found |= {digest, digest[:16], digest[:32]}
            # An HMAC keyed with something public is no better.
            for key in (org_id, account, ""):
                keyed = hmac.new(key.encode(), text.encode(), algorithm).hexdigest()
                found |= {keyed, keyed[:16], keyed[:32]}
    return found


def test_the_owner_depends_on_a_secret_of_the_database(fresh_sandbox_factory):
    # Same organisation, same account, two databases: were the owner computable
    # from the ids alone, the two would be equal.
    first = owner_of(assisted_link(fresh_sandbox_factory()))
    second = owner_of(assisted_link(fresh_sandbox_factory()))
    assert first != second
    assert first not in guesses("org-northwind", ACCOUNT)
    assert len(first) >= 32  # 128 bits at least: the link is the whole key


def test_a_computed_owner_does_not_open_the_page(fresh_sandbox):
    link = assisted_link(fresh_sandbox)
    assert httpx.get(link).status_code == 200
    with httpx.Client() as http:
        for guess in sorted(guesses("org-northwind", ACCOUNT)):
            assert http.get(with_owner(link, guess)).status_code == 404
        owner = owner_of(link)
        for odd in ("", "%00", "é" * 40, "x" * 5000, owner.upper(), owner[:-1], owner + "0"):
            reply = http.get(with_owner(link, odd))
            assert reply.status_code == 404 and reply.json() == {"message": "Basket not found."}


def test_the_owner_is_stable_for_one_database_and_private_to_the_organisation(
    fresh_sandbox_factory, tmp_path
):
    db_path = tmp_path / "sandbox.sqlite3"
    first = fresh_sandbox_factory(db_path=db_path)
    link = assisted_link(first)
    other_org = assisted_link(first, org_index=1, external_id="assisted-2")
    old_root = first.root_url
    first.stop()

    again = fresh_sandbox_factory(db_path=db_path)
    assert httpx.get(link.replace(old_root, again.root_url)).status_code == 200
    later = assisted_link(again, external_id="assisted-3")
    assert owner_of(later) == owner_of(link)  # same org and account, same database
    assert owner_of(other_org) != owner_of(link)  # same account, another organisation


def test_an_owner_stored_before_the_key_is_derived_again(fresh_sandbox_factory, tmp_path):
    # A database from before owners were keyed: an unkeyed hash, and no key.
    db_path = tmp_path / "sandbox.sqlite3"
    first = fresh_sandbox_factory(db_path=db_path)
    link = assisted_link(first)
    old_root = first.root_url
    first.stop()
    unkeyed = hashlib.sha256(f"org-northwind\n{ACCOUNT}".encode()).hexdigest()[:16]
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'owner_key'")
        conn.execute("UPDATE baskets SET owner = ?", (unkeyed,))
    conn.close()

    again = fresh_sandbox_factory(db_path=db_path)
    basket_id = urlsplit(link).path.rsplit("/", 1)[1]
    rekeyed = again._db.run(lambda tx: tx.get_basket(basket_id)).owner
    assert rekeyed != unkeyed and rekeyed not in guesses("org-northwind", ACCOUNT)
    old_link = with_owner(link.replace(old_root, again.root_url), unkeyed)
    assert httpx.get(old_link).status_code == 404
    assert httpx.get(with_owner(old_link, rekeyed)).status_code == 200
    assert owner_of(assisted_link(again)) == rekeyed  # what a new initiate gives too
