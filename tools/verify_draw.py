#!/usr/bin/env python3
"""Re-runs a published Guatan stall draw (摇号) from its public file alone and prints the
allocation it must give. Python's standard library only: anyone can read and run it.

    python3 tools/verify_draw.py draw.json            # prints the allocation and waitlists
    python3 tools/verify_draw.py draw.json --check    # also compares with the published results

The file is what the service publishes for a season's draw (guatan-draw-v1):

    {"season": 2027, "algorithm": "guatan-draw-v1",
     "commitment": SHA-256 of the seed, published when the application window closed,
     "seed": the seed (hex), revealed at the draw,
     "sites": [{"site_id": …, "slots": [slot IDs open to the draw, in order]}, …],
     "applications": [{"application_no": …, "holder_masked": …, "tier": 1|2|3,
                       "preferences": [site IDs, first choice first], "renewal_slot": slot ID or null}, …],
     "excluded": [application numbers an upheld objection took out: the draw runs without them],
     "results": {"allocation": […], "waitlists": {…}}   (the service's, for --check)}

The rule, in full:
 1. The seed must hash (SHA-256) to the commitment published before anyone knew it.
 2. Each application's lot is HMAC-SHA256(key = the seed's bytes, message = its number in UTF-8).
 3. Renewals first: an application of tier 1 naming a renewal slot open to the draw keeps it.
 4. Every other application in order of (tier, lot, number) takes the first free slot (in the
    site's slot order) of its first preference that has one; if none of its sites has a free
    slot it is not allocated.
 5. Each site's waitlist: the applications not allocated that named the site, in that order.
"""

import hashlib
import hmac
import json
import sys


def lot(seed: bytes, application_no: str) -> str:
    return hmac.new(seed, application_no.encode("utf-8"), hashlib.sha256).hexdigest()


def draw(published: dict) -> dict:
    if published.get("algorithm") != "guatan-draw-v1":
        raise SystemExit(f"unknown algorithm {published.get('algorithm')!r}")
    seed_hex = published.get("seed")
    if not seed_hex:
        raise SystemExit("the seed is not revealed yet: the draw has not taken place")
    seed = bytes.fromhex(seed_hex)
    if hashlib.sha256(seed).hexdigest() != published["commitment"].lower():
        raise SystemExit("the revealed seed does not match the commitment published before the draw")

    excluded = set(published.get("excluded") or [])
    applications = [a for a in published["applications"] if a["application_no"] not in excluded]
    free = {site["site_id"]: list(site["slots"]) for site in published["sites"]}
    slot_site = {slot: site for site, slots in free.items() for slot in slots}
    lots = {a["application_no"]: lot(seed, a["application_no"]) for a in applications}
    order = sorted(applications, key=lambda a: (a["tier"], lots[a["application_no"]], a["application_no"]))
    allocation = []
    allocated = set()

    # Renewals keep their slot, before any lot is looked at.
    for application in order:
        slot = application.get("renewal_slot")
        if application["tier"] == 1 and slot and slot in slot_site and slot in free[slot_site[slot]]:
            free[slot_site[slot]].remove(slot)
            allocation.append({"slot_id": slot, "site_id": slot_site[slot], "application_no": application["application_no"],
                               "tier": application["tier"], "rank": 0})
            allocated.add(application["application_no"])

    for rank, application in enumerate(order, start=1):
        number = application["application_no"]
        if number in allocated:
            continue
        for site in application["preferences"]:
            if free.get(site):
                slot = free[site].pop(0)
                allocation.append({"slot_id": slot, "site_id": site, "application_no": number, "tier": application["tier"], "rank": rank})
                allocated.add(number)
                break

    waitlists = {}
    for application in order:
        if application["application_no"] in allocated:
            continue
        for site in application["preferences"]:
            if site in free:
                waitlists.setdefault(site, []).append(application["application_no"])
    allocation.sort(key=lambda row: row["slot_id"])
    return {"allocation": allocation, "waitlists": {site: waitlists[site] for site in sorted(waitlists)}}


def main(argv: list) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        published = json.load(file)
    results = draw(published)
    print(json.dumps(results, ensure_ascii=False, sort_keys=True, indent=1))
    if "--check" in argv[2:]:
        if published.get("results") != results:
            print("MISMATCH: the published results are not what the draw gives", file=sys.stderr)
            return 1
        print(f"OK: {len(results['allocation'])} slots allocated as published", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
