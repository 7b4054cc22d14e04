#!/usr/bin/env python3
"""Checks mutua's decisions against the SQL peer's, line by line, on the peer's data set.

    check.py PEER_DATA (ENVOI.tsv PEER_RESULT.tsv MUTUA_RESPONSE.json)...

The envois are given in the order both judged them; each one's accepted lines go into history
before the next. Two plain-Python models of the four rules run beside them, from the peer's TSV
files (as the peer's verify.py does):
  - "prefix": the peer's semantics. 502255 counts every earlier line of the same patient, code
    and day in the envoi, refused or not (README of the peer, "502255 semantics").
  - "counted": mutua's semantics. 502255 counts only the earlier lines that were accepted: a line
    the fund refuses is not paid and does not use up the maximum. The rest is the same.
The peer must equal the prefix model and mutua the counted model, line by line, on the four
codes; the differences between mutua and the peer are then those of the two semantics (and what
they change in the history of the envois after), and are counted by code. Codes of mutua's other
rules, which the peer does not have (500423: the same prestation already billed), are listed
apart with their lines. Prints one JSON document; exit 1 when a model comparison fails.
"""
import gzip
import json
import sys
from collections import defaultdict

CODES = (502255, 500444, 500545, 500942)


def tsv(path):
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for line in f:
            yield line.rstrip("\n").split("\t")


def doy(iso):  # yyyy-mm-dd -> a day number (the data set spans one year and the next)
    return int(iso[:4]) * 400 + int(iso[5:7]) * 32 + int(iso[8:10])


def key(p, d, c):
    return (p << 40) | (d << 20) | c


class Model:
    def __init__(self, data, counted):
        self.counted = counted
        self.limit, self.sexr, self.sex = {}, {}, {}
        for code, mx, sx in tsv(f"{data}/nomenclature.tsv"):
            if mx != "\\N":
                self.limit[int(code)] = int(mx)
            if sx != "\\N":
                self.sexr[int(code)] = sx
        self.partners = defaultdict(set)
        for x, y in tsv(f"{data}/ban.tsv"):
            self.partners[int(x)].add(int(y))
            self.partners[int(y)].add(int(x))
        for p, s in tsv(f"{data}/members.tsv"):
            self.sex[int(p)] = s
        self.stays = defaultdict(list)
        for _, p, adm, dis in tsv(f"{data}/hosp.tsv"):
            self.stays[int(p)].append((doy(adm), None if dis == "\\N" else doy(dis)))
        self.units = defaultdict(int)  # key(patient, day, code) -> units in history
        for _, p, _, c, d, u in tsv(f"{data}/history.tsv"):
            self.units[key(int(p), doy(d), int(c))] += int(u)

    def judge(self, path):
        lines = [(int(l), int(p), int(c), doy(d), int(u)) for l, p, _, c, d, u in tsv(path)]
        in_envoi = defaultdict(set)  # (p, d) -> codes of the envoi
        for _, p, c, d, _ in lines:
            in_envoi[(p, d)].add(c)
        cum = defaultdict(int)
        out = {}
        for ln, p, c, d, u in sorted(lines):
            codes = set()
            pc = self.partners.get(c)
            if pc and (any(key(p, d, q) in self.units for q in pc) or pc & in_envoi[(p, d)]):
                codes.add(500444)
            for adm, dis in self.stays.get(p, ()):
                if adm <= d and (dis is None or d <= dis):
                    codes.add(500545)
                    break
            if c in self.sexr and self.sex[p] != self.sexr[c]:
                codes.add(500942)
            k = key(p, d, c)
            if c in self.limit:
                if self.counted:
                    if self.units.get(k, 0) + cum[k] + u > self.limit[c]:
                        codes.add(502255)
                    elif not codes:
                        cum[k] += u
                else:
                    cum[k] += u
                    if self.units.get(k, 0) + cum[k] > self.limit[c]:
                        codes.add(502255)
            if codes:
                out[ln] = codes
        for ln, p, c, d, u in lines:
            if ln not in out:
                self.units[key(p, d, c)] += u
        return out, len(lines)


def peer_result(path):
    out = {}
    rows = tsv(path)
    next(rows)
    for ln, codes in rows:
        if codes:
            out[int(ln)] = {int(x) for x in codes.split(",")}
    return out


def mutua_result(path):
    doc = json.load(open(path))
    out, other = {}, {}
    for r in doc["records"]:
        if r.get("record_type") not in ("50", "30", "40") or not r.get("reference"):
            for x in r.get("codes", []):
                other.setdefault(x["code"], []).append("record %s" % r.get("record"))
            continue
        codes = set()
        for x in r["codes"]:
            if x["code"].isdigit() and int(x["code"]) in CODES:
                codes.add(int(x["code"]))
            else:
                other.setdefault(x["code"], []).append(int(r["reference"]))
        if codes:
            out[int(r["reference"])] = codes
    return out, other, doc.get("message")


def compare(a, b, lines):
    """Lines where a and b differ, by code: (only in a, only in b)."""
    only_a, only_b = defaultdict(int), defaultdict(int)
    for ln in set(a) | set(b):
        x, y = a.get(ln, set()), b.get(ln, set())
        for c in x - y:
            only_a[str(c)] += 1
        for c in y - x:
            only_b[str(c)] += 1
    return {"lines_differing": sum(1 for ln in set(a) | set(b) if a.get(ln, set()) != b.get(ln, set())),
            "only_first": dict(only_a), "only_second": dict(only_b)}


def main():
    data, rest = sys.argv[1], sys.argv[2:]
    if not rest or len(rest) % 3:
        sys.exit(__doc__)
    prefix, counted = Model(data, False), Model(data, True)
    report = {"envois": [], "peer_equals_prefix_model": True, "mutua_equals_counted_model": True}
    for i in range(0, len(rest), 3):
        envoi, peer_path, mutua_path = rest[i:i + 3]
        pm, n = prefix.judge(envoi)
        cm, _ = counted.judge(envoi)
        peer = peer_result(peer_path)
        mutua, other, message = mutua_result(mutua_path)
        per_code = {"peer": defaultdict(int), "mutua": defaultdict(int)}
        for name, res in (("peer", peer), ("mutua", mutua)):
            for codes in res.values():
                for c in codes:
                    per_code[name][str(c)] += 1
        e = {"envoi": envoi.rsplit("/", 1)[-1], "lines": n, "mutua_message": message,
             "peer_rejected": len(peer), "mutua_rejected": len(mutua),
             "per_code": {k: dict(sorted(v.items())) for k, v in per_code.items()},
             "mutua_other_codes": other,
             "peer_vs_prefix_model": compare(peer, pm, n),
             "mutua_vs_counted_model": compare(mutua, cm, n),
             "mutua_vs_peer": compare(mutua, peer, n)}
        report["peer_equals_prefix_model"] &= e["peer_vs_prefix_model"]["lines_differing"] == 0
        report["mutua_equals_counted_model"] &= e["mutua_vs_counted_model"]["lines_differing"] == 0
        report["envois"].append(e)
    print(json.dumps(report, indent=1))
    sys.exit(0 if report["peer_equals_prefix_model"] and report["mutua_equals_counted_model"] else 1)


if __name__ == "__main__":
    main()
