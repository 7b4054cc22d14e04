#!/usr/bin/env python3
"""Writes docs/codes.md: every official code (and mutua's Z codes) with what mutua does with it.

Implemented codes come from the rule families' own data (layout zone types, zone links,
identifier places, structure tables) and from the validator scenarios in tests/cases, which
name the case that proves each one. Codes not implemented are sorted by why: they need the
fund's data (left to the engine issue) or cannot be decided from the file. Run from the repo root.
"""
import csv, glob, re, collections

codes = list(csv.DictReader(open('data/codes/efact-error-codes.tsv'), delimiter='\t'))
project = list(csv.DictReader((l for l in open('data/codes/project-codes.tsv') if not l.startswith('#')), delimiter='\t'))
layout = list(csv.DictReader((l for l in open('data/layout/records.tsv') if not l.startswith('#')), delimiter='\t'))
links = list(csv.DictReader((l for l in open('data/rules/zone-links.tsv') if not l.startswith('#')), delimiter='\t'))
conditions = list(csv.DictReader((l for l in open('data/rules/zone-conditions.tsv') if not l.startswith('#')), delimiter='\t'))

cases = collections.defaultdict(list)
for path in sorted(glob.glob('tests/cases/*.cases')):
    name = None
    for n, line in enumerate(open(path), 1):
        if line.startswith('case:'):
            name = f"{path.split('/')[-1]}:{n}"
        elif line.startswith('expect:') and name:
            for c in line[7:].split():
                cases[c].append(name)

official = {c['code'] for c in codes}
impl = {}
def mark(code, where):
    if code in official or code.startswith('Z'):
        impl.setdefault(code, where)

def cz(zone):
    m = re.match(r'\d+', zone)
    return m.group(0).zfill(2) if m else None

lead = re.compile(r'(Premier chiffre|Deux premiers|2 premiers|Trois premiers|Quatre premiers)')
labels = {c['code']: c['label_fr'] for c in codes}
for z in layout:
    rec, t = z["record"], z["type"].rstrip("?")
    if t == "DS": t = "D"
    if not rec.isdigit() or len(rec) != 2 or rec in ('91', '92', '95', '96'): continue
    if z['zone'] in ('1',): continue
    base = rec + (cz(z['zone']) or '')
    # A reserved part ("8b") has its own code; a code limited to some billing periods is the
    # zone-conditions table's (rows with a period).
    if t == 'Z' and re.search(r'zone ' + re.escape(z['zone']) + ' ', labels.get(base + '09', '')):
        mark(base + '09', 'rules/zone_format.cpp')
    elif t in ('N', 'S', 'D', 'G', 'Z') and 'Z 22-23' not in labels.get(base + '01', '') and ' Z 5 <' not in labels.get(base + '01', ''):
        mark(base + '01', 'rules/zone_format.cpp')
    if t == 'S':
        mark(base + '05', 'rules/zone_format.cpp'); mark(base + '06', 'rules/zone_format.cpp')
    if t == 'N' and lead.search(labels.get(base + '04', '')):
        mark(base + '04', 'rules/zone_format.cpp')
for l in links:
    mark(l['code'], 'rules/invoices.cpp (data/rules/zone-links.tsv)')
for l in conditions:
    mark(l['code'], 'rules/zone_conditions.cpp (data/rules/zone-conditions.tsv)')
ident = {'10': ['14', '27', '36', '49'], '20': ['08', '14', '15'], '30': ['04', '08', '14', '15', '24', '17'],
         '40': ['04', '08', '14', '15', '24'], '50': ['04', '08', '14', '15', '24', '17', '49'],
         '51': ['04', '08', '15'], '52': ['04', '08', '15'], '80': ['08', '14'], '90': ['14', '27', '36', '49']}
for rec, zones in ident.items():
    for zz in zones:
        mark(rec + zz + '02', 'rules/identifiers.cpp')
for rec in ident:
    mark(rec + '9902', 'rules/identifiers.cpp')
for c in ['103605', '104905']:
    mark(c, 'rules/identifiers.cpp')
for rec in ['10', '20', '30', '40', '50', '51', '52', '80', '90']:
    for s in ('0110', '0111', '0210'):
        mark(rec + s, 'rules/structure.cpp')
mark('900104', 'rules/structure.cpp')
for c in ['801910', '801510', '802710', '803010', '809802', '901910', '901911', '901510', '901511', '909802']:
    mark(c, 'rules/totals.cpp')
mark('200140', 'rules/zone_conditions.cpp (an x0612 of the invoice)')
mark('200812', 'rules/invoices.cpp (an x0812 of the invoice)')
for c in ['204209', '514201', '204533', '205311', '205411', '205511', '205611', '205711', '205811', '514533', '515511', '515525', '514332']:
    mark(c, 'rules/network_reference.cpp')
for c in ['300310', '300311', '300312', '300313', '300314', '302212', '302412']:
    mark(c, 'rules/hospital_days.cpp')
for c in ['201812', '202420', '201140', '502248', '302248', '402248', '201110', '501110', '301110', '503310', '303310',
          '300551', '400551', '500551']:
    mark(c, 'rules/invoices.cpp')
for c in ['102311', '102310', '102210', '102211', '102510', '204710', '204110', '204111', '102303', '100703', '100403']:
    mark(c, 'rules/billing_period.cpp')
for c in ['500517', '500617', '500717', '500817', '500917', '501017', '501117', '501217', '501317', '501417',
          '501614', '501615']:
    mark(c, 'rules/blocks.cpp')
for rec in ['30', '40', '50']:  # dates after today / more than a month after the billed month
    for s in ('0510', '0610', '0547', '0647'):
        mark(rec + s, 'rules/billing_period.cpp')
for c in ['100721', '100724']:
    mark(c, 'engine/preflight.cpp (several files in one run)')
retired = {'Z95006', 'Z96006'}  # record counts of ET 95 / 96: the CIN's files give 6 and 8 whatever they hold
for p in project:
    if p['code'] not in retired:
        mark(p['code'], 'project code')

# The engine's rule families (src/rules/lines/*.cpp): every code a family gives, with the
# scenarios (tests/scenarios/*.scn) that expect it.
engine = {}
for path in sorted(glob.glob('src/rules/lines/*.cpp')):
    text = open(path).read()
    # Only codes a family gives (an add( call); the cascades' block codes are returned by a helper.
    for m in re.finditer(r'add\([^;]*?"([0-9]{4}[0-9A-Z][0-9])"|return[^;]*"(510119)"[^;]*"(520119)"', text):
      for code in filter(None, m.groups()):
        if code in official or code in ('5004K6', '5004K3', '5004G3', '5004K0', '5004L0'):
            engine.setdefault(code, 'rules/lines/' + path.split('/')[-1])
engine.setdefault('200742', 'rules/lines/insurability.cpp')
engine.setdefault('501940', 'rules/lines/tariffs.cpp (501943 in the sectors of tariff_commitment_sectors)')
for code in ('500514', '500614', '500615', '300615', '400514', '400614'):
    engine.setdefault(code, 'rules/lines/nomenclature.cpp (check_per_admission: nomenclature.csv per_admission)')
for code in ('500443', '300443', '400443'):
    engine.setdefault(code, 'rules/lines/nomenclature.cpp (check_age: the record type\'s own code)')
for code in ('500549', '500649', '300549', '300649', '400549', '400649'):
    engine.setdefault(code, 'rules/lines/insurability.cpp (check_death: members.csv death_date; the record type\'s own code)')
for code in ('500840', '500841', '200840', '200841'):
    engine.setdefault(code, 'rules/lines/insurability.cpp (not_in_order)')
# Codes chosen by a condition or from data/rules/parameters.tsv rather than written in an add( call.
for code in ('500444', '500445'):
    engine.setdefault(code, 'rules/lines/cumulation.cpp')
engine.setdefault('5004K6', 'rules/lines/pathways.cpp (code from data/rules/parameters.tsv)')
engine.setdefault('500119', 'rules/lines/cascades.cpp')
for code in ('300119', '400119', '510119', '520119'):
    engine.setdefault(code, 'rules/lines/cascades.cpp (block_code: the record type\'s own cascade code)')
for code in ('500120', '510120'):
    engine.setdefault(code, 'rules/lines/cascades.cpp (an error in the line\'s ET 52)')
engine.setdefault('203420', 'engine/adjudicate.cpp (check_corrected_envois: the receptions in the store)')
# The agreement codes are returned by agreement_standing(), shared with `mutua agreement decide`.
for code in ('500434', '500446', '500449', '500548', '500648'):
    engine.setdefault(code, 'rules/lines/agreements.cpp (agreement_standing; decisions: engine/advisor.cpp)')
# ET 30 / 40 lines get the ET 50 code's equivalent (data/rules/record-type-codes.tsv), given by
# the same family: implemented where the ET 50 code is.
record_type_of = {}
for line in open('data/rules/record-type-codes.tsv'):
    if line.startswith('#') or line.startswith('code_50'):
        continue
    c50, c30, c40 = line.rstrip('\n').split('\t')[:3]
    for own in (c30, c40):
        if own != '-' and c50 in engine:
            record_type_of[own] = c50
            engine.setdefault(own, f"rules/lines/record_types.cpp (data/rules/record-type-codes.tsv: {c50} given by {engine[c50].split(' ')[0]} to an ET {own[:2]})")
scenarios = collections.defaultdict(list)
for path in sorted(glob.glob('tests/scenarios/*.scn')):
    for n, line in enumerate(open(path), 1):
        if line.startswith("expect") and re.search(r"codes=\S", line):
            for c in re.search(r'codes=(\S+)', line).group(1).split(','):
                scenarios[c].append(f"{path.split('/')[-1]}:{n}")
        elif line.startswith('scenario') and not line.startswith('scenario near miss'):
            # A scenario whose title names the code it shows (record-level codes such as 101420
            # on the ET 10 are checked through the answer the scenario expects).
            for c in re.findall(r'\b(\d{6}|5004[A-Z]\d)\b', line):
                scenarios[c].append(f"{path.split('/')[-1]}:{n}")
        if line.startswith('expect') and 'also=' in line:
            for c in re.search(r'also=(\S+)', line).group(1).split(','):
                if c not in ('920098',):
                    scenarios[c].append(f"{path.split('/')[-1]}:{n}")
for code, where in engine.items():
    impl.setdefault(code, where)

# Why a fund-data code is not judged yet, from what its label asks about.
reasons = [
    (r'accord|médecin-conseil|conseil', 'advisor agreements: only the decisions mutua models (A/N/D/O/R, 500434/500446/500449/500548/500648) are checked'),
    (r'cumul', 'cumulation: the ban table (cumulations.csv) covers code pairs; this variant is not modelled'),
    (r'carte SIS', 'the SIS-card and network-consultation registers are not in the reference data'),
    (r'mutualité (de destination|d.affiliation).*(incompatible|mutualité)|incompatible.*mutualité de destination',
     "which destination mutualities serve which mutualities of affiliation, invoice types and services is the fund's "
     "organisation, not in the reference data (provider_destinations.csv only says which destinations a provider may use: 201803)"),
    (r'précédent', 'corrections: the envoi a corrective invoice names is looked up (203420); its invoice numbers, account '
     'references and destinations are not compared with the earlier invoice'),
    (r'incompatible', "a table of which values go together (the two the label names: code and service, place, invoice type, "
     "norm...) that the fund or INAMI keeps; not in the reference data"),
    (r'maximum|plafond|nombre', 'ceilings and counts other than max units per period (502255) are not modelled'),
    (r'hospitalis|séjour|établissement|service', 'stays are checked for the establishment, place and service the fund knows '
     '(hospitalisations.csv, providers.csv services: 500455, 501420, 501320, 501321, 501349, 500545); this variant is not'),
    (r'assurabilit|en règle|CT1|CT2|titulaire|affili', 'insurability variants beyond F200742 / 500820 / 500840 / 500522 / 500622 are not modelled'),
    (r'prescri', 'prescription rules beyond "needs a prescriber" (dates, prescriber qualification) are not modelled'),
    (r'dispensateur|qualification|agréé|convention|numéro INAMI|INAMI', 'provider registers (accreditation, convention status, qualifications per date) are not in the reference files yet'),
    (r'tarif|montant|intervention|supplément|honoraire', 'amounts other than fee, personal share and their preferential variant are not modelled'),
    (r'palliatif', 'palliative forfeits beyond the notification dates are not modelled'),
    (r'trajet|maison médicale|forfait', 'pathway / medical-house variants beyond 5004K6, 500403 and 500450 are not modelled'),
    (r'sexe', "the sex the fund knows (members.csv) is compared with the code's (500942), not with the sex zone the file "
     "gives (a writer's default there would refuse whole invoices); the values a fund allows there are not in the sources"),
    (r'décès|âge', 'patient facts beyond the birth date, death date and sex of members.csv are not modelled'),
    (r'déjà', 'duplicates across funds or periods other than 500423 / 502255 are not modelled'),
]
reasons += [
    (r'non autoris', "which values a fund allows in this zone beyond its format (the zone's format is checked, its "
     "'01' code) is the fund's list; no source gives it"),
    (r'inconnu', "a register of the fund ('inconnu dans le fichier de l'O.A.') that the reference data does not hold"),
]
def fund_reason(label):
    for pattern, why in reasons:
        if re.search(pattern, label, re.I):
            return why
    return 'needs reference data mutua does not model yet'

fund = re.compile(r"O\.A|OA\b|inconnu|accord|médecin-conseil|conseil|déjà|cumul|maximum|plafond|assurabilit|en règle|"
                  r"hospitalis|maison médicale|trajet|CT1|dispensateur non habilité|qualification|tarif|montant intervention|"
                  r"sanction|notification|agréé|convention|intervention personnelle|supplément|palliatif|incompatible|"
                  r"non autorisé|autorisé|délai|renouvellement|Carenet|engagement|prescription|âge|sexe|décès|clôtur", re.I)
paper = re.compile(r"bordereau|papier|courrier|lettre", re.I)
older = re.compile(r"< 0?20[01]\d{3}|< 20[01]\d{5}")

# Zones mutua can read: those of data/layout/records.tsv (FORMAT.md). A code about a zone whose
# position no source gives (most of ET 40, parts of ET 30 / 51 / 80 / 90) cannot be checked.
readable = collections.defaultdict(list)  # record -> [(zone number, pos, len)]
for z in layout:
    m = re.match(r'(\d+)', z['zone'])
    if m and z['record'] in ('10', '20', '30', '40', '50', '51', '52', '80', '90'):
        readable[z['record']].append((int(m.group(1)), int(z['pos']), int(z['len']), z['type']))
def zone_unknown(c):
    rt, zone = c.get('record_type', ''), (c.get('zone', '') or '')
    if rt not in readable or not zone.isdigit():
        return False
    n, known = int(zone), sorted(readable[rt])
    # A zone the layout holds as "X" (reserved, not checked: no source says what it carries)
    # cannot be judged. Between two listed zones whose bytes touch, the numbers in between are
    # parts of the first (ET 20 "42-45" is listed as 42).
    for k, _, _, t in known:
        if k == n:
            return t == 'X'
    for (a, pos, length, t), (b, next_pos, _, _) in zip(known, known[1:]):
        if a < n < b:
            return pos + length != next_pos or t == 'X'
    return True

# Codes the keyword sort above would put among the file checks although the file alone cannot
# decide them, reviewed one by one.
staff = 'not decidable from the file', "a decision of the fund's staff or a request of the institution, not a check of the file"
reviewed = {
    **{c: staff for c in ('202430', '202431', '202432', '202433', '202434', '500430')},
    **{c: ('needs fund data, not implemented', 'the members of another mutuality of affiliation are not in the fund\'s reference data')
       for c in ('500742', '300742', '400742')},
    # ET 30 / 40 twins of ET 50 codes reviewed below: the same nomenclature attribute decides them.
    **{c: ('needs fund data, not implemented', "the nomenclature's own attributes it asks about (codes billed one unit at a time, codes under "
            "the MAF, codes that need the third-party-payment exception written, billing periods the regulation sets) are not columns of "
            "nomenclature.csv yet") for c in ('302241', '402241', '303311', '303240', '300628', '500628')},
    '300430': staff,
    **{c: ('not implemented yet', "decidable (a NISS with valid check digits in zone 8 while the invoice's zone 32 flag is not 1), "
            "not judged on purpose: a writer that leaves the flag at 0 would see every invoice refused whole (F) for a flag "
            "FORMAT.md only describes; 203203 / 803203 check the flag's values (0 or 1)") for c in ('200813', '300813', '400813', '500813')},
    **{c: ('not decidable from the file', 'the check-digit algorithm of this identifier (care-basin association, blood '
            'administrator, implant, registration code) is in no source') for c in ('305202', '505202', '503802', '504302', '505702')},
    **{c: ('not decidable from the file', "the CIN's files place the network reference (zone 42, 32 positions; parts N and V, 12; "
            "part A, then 000) but the SIS card's own formats, which these 'format erroné' signals are about, are in no source")
       for c in ('204224', '204231', '204234', '204330', '204331', '204431', '204531', '514231', '514331', '514431', '514531')},
    **{c: ('not decidable from the file', "retired project code: the CIN's own certification files give 6 (ET 95) and 8 (ET 96) "
            "whatever they hold, a count no source explains (docs/format.md); a file is not refused on it") for c in ('Z95006', 'Z96006')},
    **{c: ('not decidable from the file', "the limitation period (péremption) is in no source; the law's two years would refuse the "
            "lines before 2022 that DOMAIN.md's 503203 is about") for c in ('300546', '300646', '400546', '400646', '500546', '500646')},
    **{c: ('not decidable from the file', "the sources contradict each other on ET 51 zone 17: FORMAT.md gives 4 positions (and "
            "511801 makes zone 18 reserved) while these labels compare it with ET 50's 7-position zones 17-18")
       for c in ('511702', '511704', '511705', '511712', '511740', '511742')},
    **{c: ('not decidable from the file', "zone 49 carries the nursing aide, the GMD holder or the trainee by norm (zone 16), and "
            "the labels' comparison signs are lost ('?'): which code a filled zone 49 under another norm deserves cannot be told")
       for c in ('504912', '504914', '504916', '504917')},
    '504940': ('needs fund data, not implemented', "the GMD register (who holds a patient's GMD) is not in the reference data"),
    '505304': ('not decidable from the file', 'the structure of a trip number the label refers to is in no source'),
    '505305': ('needs fund data, not implemented', "which codes need a trip number (transport) is the nomenclature's, and the "
               "label's date comparison sign is lost ('?')"),
    '500317': ('not decidable from the file', "the 'implant norm' the label names is not placed by any source"),
    '301742': ('needs fund data, not implemented', "which codes take no related prestation is the nomenclature's"),
    **{c: ('not decidable from the file', "the rule (which hours of admission or discharge make the day not reimbursed) is "
            "in no source") for c in ('300553', '300653')},
    '500413': ('not decidable from the file', 'the order the instructions want the prestations in is in no source'),
    **{c: ('needs fund data, not implemented', "which codes it concerns (single-day codes, the military hospital's codes, "
            "the MRPA-MRS flat fees that go with the incontinence rebate 763593, codes that need an eID reading or a device "
            "number, codes that need a prior request) is the nomenclature's, not a column of nomenclature.csv yet")
       for c in ('300616', '3014H1', '5014H1', '300458', '300459', '3004B1', '500112', '500113')},
    **{c: ('needs fund data, not implemented', "the ET 30 record that carries the personal shares, the indicative amounts and a "
            "nursing home's recognition are the fund's data (hospitalisations.csv knows nursing-home stays, not which codes "
            "bill them)") for c in ('302210', '302440', '300550', '300650')},
    '401322': ('needs fund data, not implemented', "the service changes within a stay: hospitalisations.csv gives one service per stay"),
    '502743': ('needs fund data, not implemented', "which codes carry a personal share (nomenclature.csv personal_share_cents) "
               "decides it; not judged: a writer leaving zones 27 and 33 at zero would see every line with a personal share refused"),
    **{c: ('needs fund data, not implemented', 'readmission within 10 days: the reduced tariff of a readmission is not a column of '
            'nomenclature.csv (the stays are: hospitalisations.csv)') for c in ('3019A0', '3019A1', '4019A0', '4019A1')},
    **{c: ('needs fund data, not implemented', 'provider registers (accreditation, convention status, qualifications per date) are not in the reference files yet')
       for c in ('501531', '5015A0', '503840', '504941')},
    **{c: ('needs fund data, not implemented', 'the SIS-card and network-consultation registers are not in the reference data')
       for c in ('204223', '204225', '204226', '514225', '204321')},
    **{c: ('needs fund data, not implemented', "the nomenclature's own attributes it asks about (blood products, implants and the LIST file, surgical fields, master "
            "codes, prior requests, units per code, codes without provider / prescriber / related service, MAF, clinical biology, reduced admission "
            "flat fees) are not columns of nomenclature.csv yet")
       for c in ('500431', '500435', '500436', '500463', '5004K2', '501505', '501542', '501742', '502241', '502242', '502442',
                 '503311', '503811', '503812', '503911', '503912', '504111', '504112', '504311', '504312', '504342', '504411',
                 '504412', '505711', '505712', '5006A0', '5019A0', '5019A1', '503240', '503241', '502940')},
    '502745': ('not decidable from the file', 'applies only to prestations before 1 July 2007, as its label says'),
    '510420': ('needs fund data, not implemented', 'judged on the ET 50 instead: an ET 51 repeats its code and date (510412 / 510512, checked), '
               'whose validity at that date 500420 judges; which of the two records a fund refuses for it the sources do not say'),
    '102313': ('needs fund data, not implemented', 'the date from which the third-party-payer number is valid is not in providers.csv'),
    **{c: ('needs fund data, not implemented', "the services of an establishment (providers.csv `services`) are checked on ET 20 (201320) and "
            "ET 50 (501320); ET 30 / 40 lines are not read by the engine") for c in ('301320', '401320')},
    '100723': ('needs fund data, not implemented', 'the envois already received from the third party that month (only eFact files, zone 13 = 040, are modelled: one a day, 100724)'),
    **{c: ('not decidable from the file', "the code names the record type the fund expected, which an unreadable type does not say: "
            "mutua reports Z00005 (unknown record type) at the record")
       for c in ('100101', '200101', '300101', '400101', '500101', '510101', '520101', '800101', '900101')},
    '505409': ('not decidable from the file', 'S6 (2023) gives ET 50 zone 54b a GPS flag in its first position, newer than the list (2018–2019) that wants zeros: mutua does not block it'),
    '900809': ('not decidable from the file', 'FORMAT.md gives ET 90 no zone 8b: its bytes 48-55 are reserved (X) without their own bounds'),
    '904309': ('not decidable from the file', 'FORMAT.md gives ET 90 no zone 43b: its bytes 230-270 are reserved (X) without their own bounds'),
}

# ET 40 (pharmaceutical products): FORMAT.md found no layout; mutua reads it with ET 50's skeleton,
# which the ET 40 codes about its own zones (galenic form, product number, pharmacist, birth
# year...) show to differ. Those codes cannot be judged; the zones every detail record shares
# (dates, NISS, service, units, sign of the amounts) are.
et40_shared = {'01', '02', '03', '05', '06', '07', '08', '09', '13', '19', '22', '98', '99'}
# ET 30 zones that FORMAT.md's ET 30 summary does not place (the codes name them as reserved).
et30_unplaced = {'21', '37', '40', '42', '44', '45', '56', '58', '59'}

# Zone links without an exemption or a period: every_check_test.cpp breaks each of them.
plain_links = {l['code'] for l in links if not l.get('unless') and not l.get('period')}

rows, counts = [], collections.Counter()
for c in codes + [dict(code=p['code'], type=p['type'], record_type=p['record_type'], zone=p['zone'], label_fr=p['label_fr']) for p in project]:
    code = c['code']
    if code in engine:
        test = ', '.join(scenarios.get(code, [])[:2]) or (f"the path of {record_type_of[code]} (its scenarios), translated as tests/record_types_test.cpp checks" if code in record_type_of
                                                    else 'tests/end_to_end_test.cpp (ground truth)' if code in ('500119', '510119', '520119', '200742')
                                                    else 'tests/engine_cli_test.cpp (Adjudicate.AnErrorInTheEidRecordRejectsItsLineWith500120)' if code in ('500120', '510120')
                                                    else 'tests/engine_cli_test.cpp (Adjudicate.AnInvoiceRejectedWholeTakesItsEt30WithTheEt30Code300119)' if code == '300119'
                                                    else 'none of its own: the path of 300119 (block_code), for an ET 40' if code == '400119'
                                                    else 'tests/engine_cli_test.cpp (Adjudicate.AStayDayOnTheDayOfDeathPassesLaterDaysAre300549And500549)' if code == '300549'
                                                    else 'none of its own: the path of 300549 / 500649 (check_death)' if code in ('300649', '400549', '400649')
                                                    else 'none of its own: the path of 500443 (check_age)' if code in ('300443', '400443')
                                                    else 'none of its own: the path of 500514 / 500615 (check_per_admission)' if code in ('300615', '400514', '400614')
                                                    else 'no scenario yet')
        status, where = 'implemented (engine)', f"{engine[code]}; scenario: {test}"
    elif code in impl:
        test = ', '.join(cases.get(code, [])[:2]) or ('tests/gen_test.cpp (ground truth)' if code in ('500501', '501905', '509902')
                                                    else 'tests/validate_cases_test.cpp (ValidateCases.ASendingNumberUsedTwiceInAYearIs100721)' if code == '100721'
                                                    else 'tests/validate_cases_test.cpp (ValidateCases.TwoEfactFilesOfOneDayAre100724)' if code == '100724'
                                                    else 'tests/every_check_test.cpp (a file breaking its zone)' if code in ('Z20001', 'Z00014')
                                                    else 'tests/every_check_test.cpp (a file breaking its zone)' if impl[code] == 'rules/zone_format.cpp'
                                                    else 'tests/every_check_test.cpp (a file with wrong check digits there)' if impl[code] == 'rules/identifiers.cpp'
                                                    else 'tests/every_check_test.cpp (a file breaking the link)' if code in plain_links
                                                    else 'family (see the rule file)')
        status, where = 'implemented', f"{impl[code]}; test: {test}"
    elif code in reviewed:
        status, where = reviewed[code]
    elif c.get('record_type') == '40' and c.get('zone') not in et40_shared:
        status, where = 'not decidable from the file', ("ET 40's layout is not in the sources (FORMAT.md); its own zones "
                                                        "(product, galenic form, pharmacist...) have no known position")
    elif c.get('record_type') == '30' and c.get('zone') in et30_unplaced:
        status, where = 'not decidable from the file', f"FORMAT.md's ET 30 summary does not place zone {c.get('zone')}"

    elif paper.search(c['label_fr']):
        status, where = 'not decidable from the file', 'needs the paper bordereau or a letter, which eFact no longer carries'
    elif older.search(c['label_fr']):
        status, where = 'not decidable from the file', 'applies only to billing periods before the condition in its label'
    elif zone_unknown(c):
        status, where = 'not decidable from the file', (
            f"FORMAT.md puts ET {c['record_type']} zone {c['zone']} among the record's reserved bytes, "
            "without its own bounds or meaning (X, not checked, in data/layout/records.tsv)")
    elif fund.search(c['label_fr']):
        status, where = 'needs fund data, not implemented', fund_reason(c['label_fr'])
    else:
        status, where = 'not implemented yet', 'file-only in principle; no rule written yet'
    counts[status] += 1
    label = c['label_fr'].replace('|', '/').replace('\n', ' ')
    rows.append(f"| {code} | {c['type']} | {c.get('record_type','')} | {c.get('zone','')} | {status} | {where} | {label} |")

with open('docs/codes.md', 'w') as out:
    out.write('# Rejection codes: what mutua checks\n\n')
    out.write('Generated by `scripts/codes_doc.py` from the code lists, the rule families\' data and the\n'
              'validator scenarios (`tests/cases`). The official list is `data/codes/efact-error-codes.tsv`:\n'
              '1,867 rows (1,866 codes: 203210 appears twice, the F row wins) extracted from\n'
              'taktik/freehealth-connector `src/main/resources/be/errors/EfactErrors.json` (2018–2019\n'
              'snapshot of the INAMI list; some "≠"/"≥" signs show as "?"). Project codes (`Z…`) are\n'
              'mutua\'s own, for findings the official list has no code for (`data/codes/project-codes.tsv`).\n\n'
              '"implemented (engine)": a rule family of the adjudication engine gives the code\n'
              '(`src/rules/lines/`, found in the code) and the scenarios of `tests/scenarios/` that\n'
              'expect it are named. "implemented": the file checks (`mutua validate`). "Not decidable\n'
              'from the file" covers the paper-era codes, the codes of periods before their label\'s\n'
              'condition, and the codes about bytes FORMAT.md gives only as "reserved" without their own\n'
              'bounds or meaning (most of ET 51, 52, 80 and 90 beyond the zones it lists), ET 40\'s own zones\n'
              '(its layout is not in the sources) and decisions of the fund\'s staff. The split of\n'
              'the rest between "needs fund data, not implemented" (with what is missing) and "not\n'
              'implemented yet" is made from the labels (keywords such as "inconnu dans le fichier de\n'
              'l\'O.A.", "accord", "cumul"): a sort by keyword, corrected code by code where a\n'
              'review found it wrong (the `reviewed` table of the script).\n\n')
    out.write('| status | codes |\n|---|---|\n')
    for k, v in sorted(counts.items()):
        out.write(f'| {k} | {v} |\n')
    out.write('\nTwo codes of the rule catalog (DOMAIN.md) are not given by mutua:\n'
              '- **175** (travel-cost code, 109955: the units must be the round-trip kilometres, '
              'efact-physician-error-guide): a fund\'s own three-character code (the guide: labels change from one fund to another), outside the '
              'official list; judging the kilometres needs the addresses of the provider and the '
              'patient, which the reference data does not hold.\n'
              '- **500130** (refused, reason in zone 149 or in a letter): a decision of the fund\'s '
              'staff after a manual review, not a rule an engine runs.\n')
    out.write('\n| code | type | record | zone | status | where / why | label (FR) |\n|---|---|---|---|---|---|---|\n')
    out.write('\n'.join(rows) + '\n')
print(dict(counts))
