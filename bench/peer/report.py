#!/usr/bin/env python3
"""The report of bench/peer/run.sh: report.py DIR ROUNDS, markdown on stdout."""
import json
import re
import subprocess
import sys

TIME = re.compile(r"time: wall ([\d.]+) s, user ([\d.]+) s, sys ([\d.]+) s, peak RSS (\d+) KiB")
PHASE = re.compile(r"([a-z][a-z ()]*?) ([\d.]+)")


def read(path):
    try:
        return open(path).read()
    except OSError:
        return ""


def timing(text):
    m = TIME.search(text)
    return None if not m else {"wall": float(m[1]), "cpu": float(m[2]) + float(m[3]), "rss_mib": int(m[4]) / 1024}


def peer_run(text):
    doc = next((json.loads(line) for line in text.splitlines() if line.startswith("{")), None)
    if not doc:
        return None
    envois = doc["envois"]
    return {"lines": sum(e["lines"] for e in envois), "inside": doc["total_s"],
            "rules": sum(e["prep_s"] + e["rules_s"] for e in envois),
            "phases": {k: sum(e[k] for e in envois) for k in ("load_s", "prep_s", "rules_s", "history_s", "result_s")}}


def mutua_run(text):
    phases, lines = {}, 0
    for line in text.splitlines():
        if ": timings (s):" in line:
            for name, secs in PHASE.findall(line.split(": timings (s):", 1)[1]):
                phases[name.strip()] = phases.get(name.strip(), 0.0) + float(secs)
        m = re.search(r"accepted: (\d+) line", line)
        if m:
            lines += int(m[1])
    if not phases:
        return None
    return {"lines": lines, "rules": phases.get("rules", 0.0), "phases": phases}


def main():
    d, rounds = sys.argv[1], int(sys.argv[2])
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    out = [f"# bench/peer/run.sh: mutua beside the SQL peer (commit {rev}, {cpu})", ""]
    out.append(read(f"{d}/runs/setup-mutua.txt").strip().replace("\n", "  \n"))
    out.append("")
    out.append("peer base: " + read(f"{d}/runs/setup-peer.txt").strip().replace("\n", "; "))
    out.append("")
    out += ["| set | round | who | lines | end to end s | **lines/s end to end** | rules s | lines/s rules alone | CPU s | peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = {"100k": [], "ten": []}
    for r in range(1, rounds + 1):
        for s in ("100k", "ten"):
            wall = {}
            for who, parse in (("peer", peer_run), ("mutua", mutua_run)):
                text = read(f"{d}/runs/{who}-{s}-{r}.txt")
                t, run = timing(text), parse(text)
                if not t or not run:
                    out.append(f"| {s} | {r} | {who} | (failed: see runs/{who}-{s}-{r}.txt) |||||||")
                    continue
                n = run["lines"] or (100000 if s == "100k" else 1000000)
                wall[who] = t["wall"]
                out.append(f"| {s} | {r} | {who} | {n:,} | {t['wall']:.2f} | **{n / t['wall']:,.0f}** | {run['rules']:.2f} | "
                           f"{n / run['rules']:,.0f} | {t['cpu']:.2f} | {t['rss_mib']:,.0f} |")
            if "peer" in wall and "mutua" in wall:
                ratios[s].append(wall["peer"] / wall["mutua"])
    out.append("")
    for s, rs in ratios.items():
        if rs:
            out.append(f"mutua's lines/s end to end as a multiple of the peer's, {s}: "
                       + ", ".join(f"{x:.2f}x" for x in rs))
    out.append("")
    for s in ("100k", "ten"):
        peer, mutua = peer_run(read(f"{d}/runs/peer-{s}-1.txt")), mutua_run(read(f"{d}/runs/mutua-{s}-1.txt"))
        if peer:
            out.append(f"peer, {s}, round 1, seconds by step: " +
                       ", ".join(f"{k[:-2]} {v:.2f}" for k, v in peer["phases"].items()))
        if mutua:
            out.append(f"mutua, {s}, round 1, seconds by phase (summed over envois; parse and file checks run beside "
                       "the judging of the envoi before, responses beside the recording): " +
                       ", ".join(f"{k} {v:.2f}" for k, v in mutua["phases"].items()))
    out.append("")
    for s in ("100k", "ten"):
        try:
            c = json.load(open(f"{d}/runs/check-{s}.json"))
        except (OSError, ValueError):
            out.append(f"decisions, {s}: no check (see runs/check-{s}.json)")
            continue
        diff, per, other = {}, {"peer": {}, "mutua": {}}, {}
        for e in c["envois"]:
            for code, n in e["mutua_vs_peer"]["only_second"].items():
                diff[f"{code} peer only"] = diff.get(f"{code} peer only", 0) + n
            for code, n in e["mutua_vs_peer"]["only_first"].items():
                diff[f"{code} mutua only"] = diff.get(f"{code} mutua only", 0) + n
            for who in per:
                for code, n in e["per_code"][who].items():
                    per[who][code] = per[who].get(code, 0) + n
            for code, lines in e["mutua_other_codes"].items():
                other.setdefault(code, []).extend(lines)
        out.append(f"decisions, {s}: peer = prefix model line by line: {c['peer_equals_prefix_model']}; "
                   f"mutua = counted model line by line: {c['mutua_equals_counted_model']}; per code peer {per['peer']}, "
                   f"mutua {per['mutua']}; mutua vs peer: {diff or 'identical'}; codes of rules the peer does not "
                   f"have: {({k: v[:10] for k, v in other.items()}) or 'none'}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
