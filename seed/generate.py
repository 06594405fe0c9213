#!/usr/bin/env python3
"""Generate Guatan's seed registry: 390 sites and 2,059 stall slots in Lanzhou.

The real list of Lanzhou's seasonal fruit-stall sites is not published, so this
script makes a synthetic one that keeps the published shape (see README.md).
It is deterministic: the same script always writes byte-identical CSV files,
and the IDs (district prefix + number) never change between runs.

    python3 seed/generate.py            # writes seed/*.csv next to this file
    python3 seed/generate.py --check    # fails if the committed CSVs are stale
"""

import argparse
import csv
import io
import math
import random
import sys
from pathlib import Path

SEED = 20230615  # the 2023 season's first day; any fixed value keeps runs identical

# Administrative codes are the national ones (GB/T 2260).
DISTRICTS = [
    ("CG", "620102", "城关区", "Chengguan"),
    ("QLH", "620103", "七里河区", "Qilihe"),
    ("XG", "620104", "西固区", "Xigu"),
    ("AN", "620105", "安宁区", "Anning"),
]

# 2022's published breakdown scaled to 2023's totals (390 sites, 2,059 slots).
TARGETS = {
    "CG": (181, 707),
    "QLH": (75, 460),
    "AN": (15, 562),
    "XG": (119, 330),
}

# Smallest and largest site per district: 安宁区 has a few large collection points
# in its peach-growing villages, the others many small stalls in compounds.
SIZE_RANGE = {"CG": (1, 10), "QLH": (2, 14), "AN": (20, 60), "XG": (1, 7)}

# The Yellow River through the city, west to east (WGS-84, approximate centre line).
RIVER = [
    (103.560, 36.138), (103.600, 36.128), (103.640, 36.118), (103.670, 36.108),
    (103.700, 36.096), (103.730, 36.088), (103.760, 36.081), (103.790, 36.075),
    (103.815, 36.068), (103.835, 36.068), (103.855, 36.074), (103.875, 36.082),
    (103.900, 36.090), (103.925, 36.090), (103.950, 36.080),
]
RIVER_CLEARANCE_M = 300
# 安宁区 lies north of the river; the other three districts' built-up areas south of it.
NORTH_OF_RIVER = {"AN"}

# Street offices (街道) of each district's built-up area: an approximate centre
# (WGS-84), the back streets and lanes (not main roads) and the kinds of
# compound where stalls stand. Weights follow how densely each area is lived in.
AREAS = {
    "CG": [
        ("张掖路", 103.8300, 36.0605, ["永昌路", "贡元巷", "箭道巷", "大众巷"], 3),
        ("酒泉路", 103.8350, 36.0550, ["金塔巷", "畅家巷", "通渭路", "秦安路"], 3),
        ("临夏路", 103.8150, 36.0600, ["上西园", "下西园", "小稍门外"], 2),
        ("白银路", 103.8430, 36.0570, ["民勤街", "武都路东段", "邮电巷"], 2),
        ("皋兰路", 103.8480, 36.0530, ["平凉路", "小沟头", "宁卧庄"], 3),
        ("广武门", 103.8450, 36.0630, ["和政路", "北面滩"], 2),
        ("五泉", 103.8260, 36.0480, ["五泉南路", "红山根", "五泉西路"], 3),
        ("伏龙坪", 103.8100, 36.0460, ["伏龙坪路", "兰园"], 1),
        ("靖远路", 103.8560, 36.0680, ["靖远路北巷", "城关黄河大桥南"], 1),
        ("草场街", 103.8560, 36.0630, ["草场后街", "草场街东巷"], 2),
        ("火车站", 103.8530, 36.0380, ["火车站东路", "天水南路后巷"], 2),
        ("铁路东村", 103.8420, 36.0400, ["铁路新村", "建工东街"], 2),
        ("铁路西村", 103.8300, 36.0410, ["铁路西村巷", "五泉南路东巷"], 2),
        ("渭源路", 103.8580, 36.0480, ["渭源路", "东岗西路南巷"], 2),
        ("嘉峪关路", 103.8700, 36.0450, ["嘉峪关西路", "嘉峪关北路"], 2),
        ("拱星墩", 103.8800, 36.0470, ["拱星墩路", "雁滩南路"], 2),
        ("团结新村", 103.8750, 36.0600, ["团结新村路", "安西路"], 2),
        ("东岗西路", 103.8680, 36.0550, ["东岗西路北巷", "段家滩路"], 2),
        ("焦家湾", 103.8950, 36.0400, ["焦家湾路", "焦家湾南路"], 1),
        ("东岗", 103.9050, 36.0470, ["东岗镇路", "东岗东路后巷"], 2),
        ("雁南", 103.8850, 36.0700, ["雁园路", "雁宁路", "雁儿湾路"], 3),
        ("雁北", 103.9000, 36.0780, ["雁北路", "南河道巷"], 2),
    ],
    "QLH": [
        ("西园", 103.8050, 36.0580, ["西园路", "上西园北巷"], 2),
        ("西湖", 103.7950, 36.0640, ["西湖街", "小西湖东街", "七里河北街"], 3),
        ("建兰路", 103.7850, 36.0520, ["建兰路", "兰工坪路"], 2),
        ("敦煌路", 103.7800, 36.0650, ["敦煌路北巷", "吴家园"], 2),
        ("西站", 103.7680, 36.0580, ["西站东路", "西站西路"], 2),
        ("龚家湾", 103.7720, 36.0480, ["龚家湾路", "华林坪"], 2),
        ("土门墩", 103.7520, 36.0660, ["土门墩路", "任家庄"], 2),
        ("晏家坪", 103.7420, 36.0610, ["晏家坪路", "马滩"], 1),
        ("秀川", 103.7350, 36.0720, ["秀川路", "崔家大滩"], 1),
    ],
    "AN": [
        ("培黎", 103.7330, 36.1030, ["培黎街", "万新路"], 2),
        ("西路", 103.7200, 36.1040, ["桃林路", "莫高大道北巷"], 2),
        ("十里店", 103.7580, 36.0980, ["十里店南街", "安宁东路北巷"], 2),
        ("孔家崖", 103.7450, 36.1000, ["孔家崖路", "桃海路"], 2),
        ("银滩路", 103.7750, 36.0930, ["银滩路北巷", "万里路"], 1),
        ("刘家堡", 103.7050, 36.1100, ["刘家堡路", "安宁堡路"], 2),
        ("沙井驿", 103.6800, 36.1180, ["沙井驿路", "费家营"], 1),
    ],
    "XG": [
        ("西固城", 103.6250, 36.0970, ["西固中路北巷", "古浪路", "西固城街"], 3),
        ("福利路", 103.6380, 36.1010, ["福利东路", "福利西路", "公园路"], 3),
        ("先锋路", 103.6180, 36.1040, ["先锋路", "玉门街"], 2),
        ("临洮街", 103.6320, 36.0920, ["临洮街", "合水路", "山丹街"], 2),
        ("陈坪", 103.6600, 36.0920, ["陈坪路", "寺儿沟"], 2),
        ("四季青", 103.6000, 36.1050, ["四季青路", "柳泉路"], 1),
        ("西柳沟", 103.5780, 36.1140, ["西柳沟路", "新和路"], 1),
    ],
}

COMPOUND_KINDS = ["小区", "家属院", "社区", "新村", "花园"]
COMPOUND_PREFIXES = [
    "和平", "东方", "幸福", "阳光", "康乐", "建设", "团结", "友谊", "长城", "金城",
    "滨河", "丽景", "翠园", "春晖", "南苑", "北苑", "安居", "兴隆", "祥和", "永安",
]
SPOTS = ["东门外", "西门外", "南门内侧", "北门外", "背街", "巷口", "停车场旁", "菜市场旁"]
# Hours (opens, closes): most sites keep the programme's default 06:00–22:00;
# some next to schools or hospitals close earlier.
HOURS = [("06:00", "22:00")] * 8 + [("07:00", "21:00"), ("06:30", "21:30")]

EARTH_RADIUS_M = 6_371_008.8
LANZHOU_BOUNDS = (102.6, 35.5, 104.6, 37.1)  # min lng, min lat, max lng, max lat


def offset(lng, lat, north_m, east_m):
    """Move a WGS-84 point by metres north and east (small distances)."""
    dlat = north_m / EARTH_RADIUS_M
    dlng = east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lng + math.degrees(dlng), lat + math.degrees(dlat)


def to_metres(lng, lat, lng0, lat0):
    x = math.radians(lng - lng0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    y = math.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def river_distance_and_side(lng, lat):
    """Distance in metres to the river line and whether the point lies north of it."""
    best = None
    for (ax, ay), (bx, by) in zip(RIVER, RIVER[1:]):
        px, py = to_metres(lng, lat, ax, ay)
        qx, qy = to_metres(bx, by, ax, ay)
        t = max(0.0, min(1.0, (px * qx + py * qy) / (qx * qx + qy * qy)))
        d = math.hypot(px - t * qx, py - t * qy)
        if best is None or d < best[0]:
            best = (d, qx * py - qy * px > 0)  # cross product > 0: left of west→east = north
    return best


def split_slots(rng, sites, total, low, high):
    """Split `total` slots over `sites` sites, each between low and high, unevenly."""
    sizes = [low] * sites
    remaining = total - low * sites
    assert 0 <= remaining <= (high - low) * sites, "targets do not fit the size range"
    # Skewed weights: most sites small, a few large, as in the published figures.
    weights = [rng.paretovariate(1.6) for _ in range(sites)]
    while remaining > 0:
        i = rng.choices(range(sites), weights=weights)[0]
        if sizes[i] < high:
            sizes[i] += 1
            remaining -= 1
    return sizes


def place_site(rng, code, area):
    name, lng0, lat0, _, _ = area
    radius = 900 if code == "AN" else 450
    for _ in range(1000):
        r = radius * math.sqrt(rng.random())
        a = rng.random() * 2 * math.pi
        lng, lat = offset(lng0, lat0, r * math.cos(a), r * math.sin(a))
        dist, north = river_distance_and_side(lng, lat)
        if dist >= RIVER_CLEARANCE_M and north == (code in NORTH_OF_RIVER):
            return lng, lat
    raise SystemExit(f"cannot place a site near {name}: check the area's centre")


def generate():
    rng = random.Random(SEED)
    sites, slots = [], []
    for code, _, district_name, _ in DISTRICTS:
        n_sites, n_slots = TARGETS[code]
        low, high = SIZE_RANGE[code]
        sizes = split_slots(rng, n_sites, n_slots, low, high)
        areas = AREAS[code]
        weights = [a[4] for a in areas]
        used_names = set()
        for index, size in enumerate(sizes, start=1):
            area = rng.choices(areas, weights=weights)[0]
            office, _, _, streets, _ = area
            street = rng.choice(streets)
            lng, lat = place_site(rng, code, area)
            number = rng.randint(1, 399)
            if code == "AN":
                # 安宁区: large collection points at the peach and melon villages' edge.
                compound = f"{street}{rng.choice(['桃园', '瓜果集散点', '果品市场', '村口广场'])}"
            else:
                compound = f"{rng.choice(COMPOUND_PREFIXES)}{rng.choice(COMPOUND_KINDS)}"
            spot = rng.choice(SPOTS)
            name = f"{compound}{spot}瓜果摊点"
            while name in used_names:  # names are unique within a district
                spot = rng.choice(SPOTS)
                compound = f"{rng.choice(COMPOUND_PREFIXES)}{rng.choice(COMPOUND_KINDS)}"
                name = f"{compound}{spot}瓜果摊点"
            used_names.add(name)
            address = f"兰州市{district_name}{office}街道{street}{number}号{compound}{spot}"
            opens_at, closes_at = rng.choice(HOURS)
            site_id = f"{code}-{index:03d}"
            sites.append({
                "site_id": site_id, "district": code, "name": name, "address": address,
                "street_office": f"{office}街道", "lat": f"{lat:.6f}", "lng": f"{lng:.6f}",
                "opens_at": opens_at, "closes_at": closes_at, "slots": size,
            })
            # Slots stand in rows of ten, 4 m apart, rows 6 m apart, along a bearing.
            bearing = rng.random() * math.pi
            for k in range(size):
                along, across = (k % 10) * 4.0, (k // 10) * 6.0
                north = along * math.cos(bearing) - across * math.sin(bearing)
                east = along * math.sin(bearing) + across * math.cos(bearing)
                slng, slat = offset(lng, lat, north, east)
                slots.append({
                    "slot_id": f"{site_id}-{k + 1:02d}", "site_id": site_id, "number": k + 1,
                    "lat": f"{slat:.6f}", "lng": f"{slng:.6f}",
                })
    check(sites, slots)
    return sites, slots


def check(sites, slots):
    assert len(sites) == 390, len(sites)
    assert len(slots) == 2059, len(slots)
    assert sum(s["slots"] for s in sites) == 2059
    for code, (n_sites, n_slots) in TARGETS.items():
        mine = [s for s in sites if s["district"] == code]
        assert len(mine) == n_sites and sum(s["slots"] for s in mine) == n_slots, code
    min_lng, min_lat, max_lng, max_lat = LANZHOU_BOUNDS
    for s in sites:
        lng, lat = float(s["lng"]), float(s["lat"])
        assert min_lng < lng < max_lng and min_lat < lat < max_lat, s["site_id"]
        dist, north = river_distance_and_side(lng, lat)
        assert dist >= RIVER_CLEARANCE_M and north == (s["district"] in NORTH_OF_RIVER), s["site_id"]
    assert len({s["site_id"] for s in sites}) == len(sites)
    assert len({s["slot_id"] for s in slots}) == len(slots)


def to_csv(rows, fields):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    sites, slots = generate()
    files = {
        "districts.csv": to_csv(
            [dict(zip(["code", "adcode", "name", "name_en"], d)) for d in DISTRICTS],
            ["code", "adcode", "name", "name_en"]),
        "sites.csv": to_csv(sites, ["site_id", "district", "name", "address", "street_office",
                                    "lat", "lng", "opens_at", "closes_at", "slots"]),
        "slots.csv": to_csv(slots, ["slot_id", "site_id", "number", "lat", "lng"]),
    }
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.exit(f"stale seed files (run seed/generate.py): {', '.join(stale)}")
    print(f"{len(sites)} sites, {len(slots)} slots" + (" (up to date)" if args.check else ""))


if __name__ == "__main__":
    main()
