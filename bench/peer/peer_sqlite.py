#!/usr/bin/env python3
"""The SQL peer (../shared/bench/sql-peer) run the way mutua runs: envoi after envoi, each one
loaded from its file, judged by the peer's own rules.sql, its accepted lines written to history
(so the next envoi is judged against them, as mutua's are), its result written out.

The peer's schema, settings, loading and rules are imported from its run.py and rules.sql, in
place (nothing is copied). Two modes:

  peer_sqlite.py prepare PEER_DATA WORK   base database WORK/peer-base.db (members, nomenclature,
                                          bans, stays, 5M history, indexes, ANALYZE), and the 1M
                                          envoi cut into WORK/envoi_1m_NN.tsv, ten of 100k lines
  peer_sqlite.py run DB OUT ENVOI.tsv...  judges the envois in order on DB; OUT/<envoi>.result.tsv
                                          holds `line_no<TAB>codes` for each line with a code;
                                          prints one JSON line of timings

Timings per envoi: load (the envoi file into its table), prep (index + ANALYZE), rules (the
peer's statement), history (accepted lines into history), result (rows out to a file).
"""
import json
import os
import sys
import time

PEER = os.environ.get("MUTUA_SQL_PEER", os.path.join(os.path.dirname(__file__), "../../../shared/bench/sql-peer"))
sys.path.insert(0, os.path.abspath(PEER))
import run as peer  # noqa: E402  (the peer's run.py: schema, settings, rules)

ENVOIS = 10


def prepare(data, work):
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "peer-base.db")
    if os.path.exists(db):
        os.remove(db)
    con = peer.sqlite_connect(db)
    t0 = time.perf_counter()
    con.executescript(peer.SQLITE_SCHEMA)
    con.execute("BEGIN")
    con.executemany("INSERT INTO members VALUES (?,?)", ((int(a), b) for a, b in peer.tsv(f"{data}/members.tsv")))
    con.executemany("INSERT INTO nomenclature VALUES (?,?,?)",
                    ((int(a), peer.nul(b), peer.nul(c, str)) for a, b, c in peer.tsv(f"{data}/nomenclature.tsv")))
    con.executemany("INSERT INTO ban VALUES (?,?)", ((int(a), int(b)) for a, b in peer.tsv(f"{data}/ban.tsv")))
    con.executemany("INSERT INTO hosp VALUES (?,?,?,?)",
                    ((int(a), int(b), peer.day(c), peer.day(d)) for a, b, c, d in peer.tsv(f"{data}/hosp.tsv")))
    con.executemany("INSERT INTO history VALUES (?,?,?,?,?,?)",
                    ((int(a), int(b), int(c), int(d), peer.day(e), int(f))
                     for a, b, c, d, e, f in peer.tsv(f"{data}/history.tsv")))
    con.execute("COMMIT")
    con.executescript(peer.SQLITE_INDEXES)
    con.close()
    # The 1M envoi in ten, as bench/peer/peer_convert cuts it.
    with open(f"{data}/envoi_1m.tsv") as f:
        lines = f.readlines()
    per = (len(lines) + ENVOIS - 1) // ENVOIS
    for k in range(ENVOIS):
        with open(os.path.join(work, f"envoi_1m_{k + 1:02d}.tsv"), "w") as out:
            out.writelines(lines[k * per:(k + 1) * per])
    print(json.dumps({"base_load_s": round(time.perf_counter() - t0, 2), "db": db}))


def run(db, out_dir, envois):
    os.makedirs(out_dir, exist_ok=True)
    con = peer.sqlite_connect(db)
    report = {"envois": []}
    start = time.perf_counter()
    for path in envois:
        t = {"envoi": os.path.basename(path)}
        t0 = time.perf_counter()
        con.executescript(peer.SQLITE_ENVOI)
        con.execute("BEGIN")
        con.executemany("INSERT INTO envoi VALUES (?,?,?,?,?,?)",
                        ((int(a), int(b), int(c), int(d), peer.day(e), int(f))
                         for a, b, c, d, e, f in peer.tsv(path)))
        con.execute("COMMIT")
        t1 = time.perf_counter()
        con.executescript(peer.SQLITE_PREP)
        t2 = time.perf_counter()
        con.executescript(peer.RULES.replace("{{CREATE}}", "CREATE TABLE"))
        t3 = time.perf_counter()
        # Accepted lines (no code) go to history, as an adjudicated envoi's do.
        con.execute("BEGIN")
        con.execute("INSERT INTO history (patient_id, provider_id, code, dt, units) "
                    "SELECT patient_id, provider_id, code, dt, units FROM envoi "
                    "WHERE line_no NOT IN (SELECT line_no FROM result)")
        con.execute("COMMIT")
        t4 = time.perf_counter()
        by = {}
        for line_no, rc in con.execute("SELECT line_no, rc FROM result ORDER BY line_no, rc"):
            by.setdefault(line_no, []).append(str(rc))
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out_dir, name + ".result.tsv"), "w") as f:
            f.write("line_no\tcodes\n")
            f.writelines(f"{ln}\t{','.join(codes)}\n" for ln, codes in by.items())
        t5 = time.perf_counter()
        lines = con.execute("SELECT COUNT(*) FROM envoi").fetchone()[0]
        t.update(lines=lines, load_s=round(t1 - t0, 3), prep_s=round(t2 - t1, 3), rules_s=round(t3 - t2, 3),
                 history_s=round(t4 - t3, 3), result_s=round(t5 - t4, 3), total_s=round(t5 - t0, 3),
                 rejected=len(by))
        report["envois"].append(t)
    report["total_s"] = round(time.perf_counter() - start, 3)
    con.close()
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
