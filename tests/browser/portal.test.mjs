// The portal in a real browser: Debian's chromium driven by playwright-core, against a real
// `mutua serve` on a fund store that judged and paid a generated world (tests/browser/run.sh).
// Every page is checked by axe-core (WCAG 2.1 A and AA) in every language it is shown in.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const base = process.env.MUTUA_URL;
const work = process.env.MUTUA_WORK;
const shots = process.env.MUTUA_SCREENSHOTS || '';
const axeSource = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const languages = ['fr', 'nl', 'de', 'en'];

let failures = 0;
const watched = [];  // pages whose HTML is kept in MUTUA_WORK when a step fails
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack || e}`);
    for (const [i, p] of watched.entries()) {
      if (p.isClosed()) continue;
      const file = path.join(work, `failed-${failures}-${i}.html`);
      fs.writeFileSync(file, `<!-- ${p.url()} -->\n` + (await p.content()));
      console.log(`     page ${p.url()} kept in ${file}`);
    }
  }
}

// RFC 6238 with the app's base32 secret; a code is accepted once, so each is new.
const usedCodes = new Set();
function totpAt(secret, t) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30000)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
async function freshCode(secret) {
  for (;;) {
    const code = totpAt(secret, Date.now());
    if (!usedCodes.has(secret + code)) {
      usedCodes.add(secret + code);
      return code;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function axeCheck(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  assert.deepEqual(found, [], `axe-core on ${what}`);
}

async function shot(page, name) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function setLanguage(page, lang) {
  await page.context().addCookies([{ name: 'mutua_lang', value: lang, url: base }]);
}

// The API, in the name of the page's signed-in person (its cookie and CSRF token).
async function api(context, method, url, body) {
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === 'mutua_session').value;
  const csrf = crypto.createHash('sha256').update('csrf:' + session).digest('hex');
  const r = await context.request.fetch(base + url, {
    method,
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status(), json: text.startsWith('{') ? JSON.parse(text) : null, text };
}

// A whole first sign-in through the pages: the one-time password, a new one, the app set up.
async function firstSignIn(page, username, once) {
  await page.goto(base + '/sign-in');
  await page.fill('#username', username);
  await page.fill('#password', once);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/sign-in\/password$/);
  const chosen = username + '-long-secret-1';
  await page.fill('#current', once);
  await page.fill('#new', chosen);
  await page.fill('#again', chosen);
  await page.click('main button[type=submit]');
  await page.waitForURL(/\/sign-in\/set-up$/);
  await page.click('main button[type=submit]');
  const secret = (await page.textContent('#secret')).trim();
  assert.match(secret, /^[A-Z2-7]+=*$/);
  assert.equal(await page.locator('figure.qr svg').count(), 1, 'a QR code to scan');
  await page.fill('#code', await freshCode(secret));
  await page.click('main button[type=submit]');
  await page.waitForURL(base + '/');
  return { password: chosen, secret };
}

async function signIn(page, username, who) {
  await page.goto(base + '/sign-in');
  await page.fill('#username', username);
  await page.fill('#password', who.password);
  await page.click('main button[type=submit]');
  await page.waitForURL(/\/sign-in\/code$/);
  await page.fill('#code', await freshCode(who.secret));
  await page.click('main button[type=submit]');
  await page.waitForURL(base + '/');
}

async function signOut(page) {
  await page.click('form[action="/sign-out"] button');
  await page.waitForURL(/\/sign-in$/);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const admin = await browser.newContext({ locale: 'fr-BE', viewport: { width: 1280, height: 900 } });
const adminPage = await admin.newPage();
watched.push(adminPage);
let adminWho;
const people = {};

await step('the support administrator signs in for the first time with the second factor', async () => {
  await setLanguage(adminPage, 'en');
  await adminPage.goto(base + '/');
  assert.match(adminPage.url(), /\/sign-in$/, 'not signed in: the sign-in page');
  await axeCheck(adminPage, 'sign-in (en)');
  adminWho = await firstSignIn(adminPage, 'admin', process.env.MUTUA_ADMIN_PASSWORD);
  assert.equal(await adminPage.getAttribute('html', 'lang'), 'en');
});

await step('a wrong code is refused and said in the page language', async () => {
  await signOut(adminPage);
  await setLanguage(adminPage, 'fr');
  await adminPage.goto(base + '/sign-in');
  await adminPage.fill('#username', 'admin');
  await adminPage.fill('#password', adminWho.password);
  await adminPage.click('main button[type=submit]');
  await adminPage.waitForURL(/\/sign-in\/code$/);
  const good = totpAt(adminWho.secret, Date.now());
  await adminPage.fill('#code', good === '000000' ? '111111' : '000000');
  await adminPage.click('main button[type=submit]');
  assert.match(await adminPage.textContent('.problem'), /incorrect/);
  await axeCheck(adminPage, 'second factor with an error (fr)');
  await adminPage.fill('#code', await freshCode(adminWho.secret));
  await adminPage.click('main button[type=submit]');
  await adminPage.waitForURL(base + '/');
});

// The accounts the other steps use: fund staff of every provider, and a provider's collaborator
// with two modules.
const envois = JSON.parse(execFileSync('/usr/bin/sqlite3', ['-json', `${work}/fund.db`,
  'select id, third_party, number, year, month, rejected_lines from envois order by id']).toString());
const rejected = envois.find((e) => e.rejected_lines > 0);
const holderProvider = rejected.third_party;
const refs = JSON.parse(execFileSync('/usr/bin/sqlite3', ['-json', `${work}/fund.db`,
  'select reference from payments order by reference limit 1']).toString() || '[]');

await step('the administrator makes a fund staff account of every provider through the pages', async () => {
  await adminPage.goto(base + '/people');
  await adminPage.fill('#p-username', 'staff');
  await adminPage.fill('#p-name', 'Staff Member');
  await adminPage.selectOption('#p-kind', 'staff');
  await adminPage.click('form.person button[type=submit]');
  people.staff = { once: (await adminPage.textContent('#one-time-password')).trim() };
  await axeCheck(adminPage, 'people as administrator (fr)');
  await adminPage.selectOption('#m-user', { label: 'staff' });
  await adminPage.fill('#m-provider', '*');
  await adminPage.selectOption('#m-role', 'staff');
  await adminPage.click('form[action="/people/membership"] button[type=submit]');
  assert.equal(await adminPage.locator('.notice .problem').count(), 0, await adminPage.textContent('main'));
  assert.ok((await adminPage.textContent('main')).includes('* · personnel de la mutualité'));
});

const staff = await browser.newContext({ locale: 'nl-BE', viewport: { width: 1280, height: 900 } });
const staffPage = await staff.newPage();
watched.push(staffPage);

await step('the browser language chooses until the person picks one', async () => {
  await staffPage.goto(base + '/sign-in');
  assert.equal(await staffPage.getAttribute('html', 'lang'), 'nl');
  assert.equal((await staffPage.textContent('h1')).trim(), 'Aanmelden');
  await staffPage.click('a[hreflang=de]');
  await staffPage.waitForURL(/\/sign-in$/);
  assert.equal(await staffPage.getAttribute('html', 'lang'), 'de');
  assert.equal((await staffPage.textContent('h1')).trim(), 'Anmelden');
  await setLanguage(staffPage, 'fr');
});

await step('fund staff sign in for the first time', async () => {
  Object.assign(people.staff, await firstSignIn(staffPage, 'staff', people.staff.once));
  const nav = await staffPage.locator('nav.modules a').allTextContents();
  assert.ok(nav.includes('Envois') && nav.includes('Paiements') && !nav.includes('Ma facturation'), nav.join(', '));
});

let envoiUrl;
await step('a rejected line found by envoi number and billed month, with its comment and fix hint', async () => {
  const month = `${rejected.year}-${String(rejected.month).padStart(2, '0')}`;
  await staffPage.goto(base + '/settlements');
  await staffPage.fill('#f-number', String(rejected.number));
  await staffPage.fill('#f-month', month);
  await staffPage.click('form.search button');
  await staffPage.waitForLoadState();
  if (!/\/submissions\/\d+/.test(staffPage.url())) {
    // several providers' envois of that number and month: the right provider's
    await staffPage.click(`tr:has(td:text-is("${rejected.third_party}")) a`);
  }
  envoiUrl = staffPage.url();
  const codes = await staffPage.locator('article.line .code').count();
  assert.ok(codes > 0, 'the rejected lines with their codes');
  const first = staffPage.locator('article.line .code').first();
  assert.match(await first.locator('code').textContent(), /^\d{6}$|^Z\d{5}$/);
  assert.ok((await staffPage.locator('article.line .hint').count()) > 0, 'fix hints');
  assert.ok((await staffPage.locator('text=Commentaire :').count()) > 0, 'zone 149 comments');
  await axeCheck(staffPage, 'envoi with rejected lines (fr)');
});

await step("every patient a page shows is in the audit log, read by whom", async () => {
  const header = await staffPage.goto(envoiUrl).then(() => staffPage.textContent('article.line header'));
  const niss = header.match(/\b(\d{11})\b/)[1];
  const id = new URL(envoiUrl).pathname.split('/').pop();
  await staffPage.goto(base + '/audit?niss=' + niss);
  const rows = await staffPage.locator('tbody tr').allTextContents();
  assert.ok(rows.some((r) => r.includes(`envois/${id}/lines`) && r.includes('staff')), rows.join('\n'));
});

await step('a question asked on a rejected line, with an attachment, answered in its thread', async () => {
  await staffPage.goto(envoiUrl);
  await staffPage.locator('article.line a[href^="/requests/new"]').first().click();
  await staffPage.waitForURL(/\/requests\/new\?/);
  assert.match(await staffPage.inputValue('#q-subject'), /Ligne rejetée : enregistrement \d+ de l'envoi \d+/);
  await axeCheck(staffPage, 'new request (fr)');
  await staffPage.fill('#q-text', 'Pourquoi ce code ?');
  await staffPage.setInputFiles('#q-files', { name: 'note.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% a note\n') });
  await staffPage.click('main form button[type=submit]');
  await staffPage.waitForURL(/\/requests\/\d+$/);
  assert.match(await staffPage.textContent('article.message'), /Pourquoi ce code \?/);
  assert.deepEqual(await staffPage.locator('article.message ul a').allTextContents(), ['note.pdf']);
  await staffPage.fill('#r-text', 'Réponse : le prescripteur est mal encodé.');
  await staffPage.click('main form button[type=submit]');
  await staffPage.waitForURL(/\/requests\/\d+$/);
  assert.equal(await staffPage.locator('article.message').count(), 2);
  await axeCheck(staffPage, 'request thread (fr)');
});

await step('a payment found by its reference', async () => {
  assert.ok(refs.length > 0, 'the payment run paid something');
  await staffPage.goto(base + '/payments');
  assert.ok((await staffPage.locator('table').count()) === 0, 'no table before a search key');
  await staffPage.fill('#f-reference', refs[0].reference);
  await staffPage.click('form.search button');
  await staffPage.waitForLoadState();
  const cells = await staffPage.locator('tbody td').allTextContents();
  assert.ok(cells.includes(refs[0].reference), cells.slice(0, 12).join(' | '));
  assert.match(cells.join(' '), /\d,\d\d\u00a0€/, 'amounts as French writes them');
});

let agreementUrl = null;
await step("an advisor agreement: its code's description on hover, its lines and the payment they lead to", async () => {
  const [agreement] = JSON.parse(execFileSync('/usr/bin/sqlite3', ['-json', `${work}/fund.db`,
    'select id, niss, code from agreements order by id limit 1']).toString() || '[]');
  assert.ok(agreement, 'run.sh recorded an agreement');
  await staffPage.goto(base + '/agreements?niss=' + agreement.niss);
  const code = staffPage.locator(`tbody a[href="/agreements/${agreement.id}"]`);
  assert.equal(await code.textContent(), agreement.code);
  assert.match(await code.getAttribute('title'), /médecin-conseil/, 'the description on hovering the code');
  assert.match(await staffPage.textContent('tbody'), /A : accord/, 'the decision code with its meaning');
  await code.click();
  await staffPage.waitForURL(base + '/agreements/' + agreement.id);
  assert.match(await staffPage.textContent('p.subject'), /médecin-conseil/);
  assert.match(await staffPage.textContent('ol.history'), /soins de plaie/);
  const paid = staffPage.locator('tbody a[href^="/payments?reference="]');
  assert.ok((await paid.count()) > 0, 'a settled line leads to its payment');
  const reference = (await paid.first().textContent()).trim();
  await paid.first().click();
  await staffPage.waitForLoadState();
  assert.ok((await staffPage.locator('tbody td').allTextContents()).includes(reference), reference);
  agreementUrl = '/agreements/' + agreement.id;
});

await step('a mass insurability CSV uploaded, its answers downloaded', async () => {
  const members = fs.readFileSync(`${work}/world/refdata/members.csv`, 'utf8').trim().split('\n').slice(1, 6)
    .map((l) => l.split(',')[0]);
  const csv = members.map((n) => `${n},2026-10-05`).join('\n') + '\n';
  await staffPage.goto(base + '/insurability');
  await staffPage.setInputFiles('#m-csv', { name: 'patients.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await staffPage.fill('#m-provider', holderProvider);
  const [download] = await Promise.all([staffPage.waitForEvent('download'), staffPage.click('form[action="/insurability/mass"] button')]);
  const answers = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(answers.length, members.length + 1, answers.join('\n'));
  for (const n of members) assert.ok(answers.some((a) => a.startsWith(n)), n);
});

const busiest = Object.entries(envois.reduce((n, e) => ({ ...n, [e.third_party]: (n[e.third_party] || 0) + 1 }), {}))
  .sort((a, b) => b[1] - a[1])[0][0];
await step("a provider's billing at a glance: charts with their figures", async () => {
  await staffPage.goto(base + '/statistics?provider=' + busiest);
  assert.ok((await staffPage.locator('svg.chart').count()) >= 1, 'at least the error-rate chart');
  const rows = await staffPage.locator('details table tbody tr').count();
  assert.equal(rows, envois.filter((e) => e.third_party === busiest).length, 'one point per envoi');
  assert.match(await staffPage.textContent('.kpi'), /\d+,\d\d\u00a0%/);
  await staffPage.goto(base + '/statistics');
  assert.equal(await staffPage.locator('svg.chart').count(), 0, 'staff of every provider say which one');
});

await step('an .xlsx export read back has every matching row', async () => {
  await staffPage.goto(base + '/submissions');
  const total = envois.length;
  const [download] = await Promise.all([staffPage.waitForEvent('download'), staffPage.click('a[href*="format=xlsx"]')]);
  const file = path.join(work, 'envois.xlsx');
  await download.saveAs(file);
  const rows = execFileSync('/usr/bin/python3', ['-c',
    'import re,sys,zipfile; x=zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").decode(); print(len(re.findall("<row ", x)))', file]).toString().trim();
  assert.equal(Number(rows), total + 1, 'a header and one row per envoi');
});

// A provider registered by its mandate holder with the two documents, validated by fund staff.
await step('a mandate holder registers its provider and fund staff validate it', async () => {
  const c = await browser.newContext({ locale: 'nl-BE', viewport: { width: 1280, height: 900 } });
  const p = await c.newPage();
  watched.push(p);
  await p.goto(base + '/sign-in');
  await p.click('a[href="/register"]');
  await axeCheck(p, 'register (nl)');
  await p.fill('#r-provider', holderProvider);
  await p.fill('#r-name', 'Dr Holder');
  await p.fill('#r-email', 'holder@example.org');
  await p.fill('#r-username', 'holder');
  await p.setInputFiles('#r-mandate', { name: 'mandaat.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% signed mandate\n') });
  await p.setInputFiles('#r-id', { name: 'id.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n0000', 'binary') });
  await p.click('main button[type=submit]');
  assert.match(await p.textContent('main [role=status]'), /ziekenfonds controleert/);
  // Fund staff find it, read its documents and validate it.
  await staffPage.goto(base + '/registrations?state=submitted');
  await staffPage.click(`tr:has(td:text-is("${holderProvider}")) a`);
  await axeCheck(staffPage, 'registration (fr)');
  const docs = await staffPage.locator('main ul a').allTextContents();
  assert.deepEqual(docs.sort(), ['id-copy-id.png', 'mandate-mandaat.pdf']);
  await staffPage.check('input[name=decision][value=validated]');
  await staffPage.click('main form button[type=submit]');
  assert.match(await staffPage.textContent('.notice'), /décision est enregistrée/);
  // The holder's mail: a link to choose the password, then the app.
  const mails = fs.readdirSync(`${work}/outbox`).map((f) => fs.readFileSync(`${work}/outbox/${f}`, 'utf8'));
  const link = mails.map((m) => m.match(/https?:\/\/[^\s]*\/reset-password\?token=[0-9a-f]{64}/)).find(Boolean);
  assert.ok(link, 'the holder was mailed a link to choose a password');
  await p.goto(link[0]);
  people.holder = { password: 'holder-long-secret-1' };
  await p.fill('#new', people.holder.password);
  await p.fill('#again', people.holder.password);
  await p.click('main button[type=submit]');
  await p.click('main a[href="/sign-in"]');
  await p.fill('#username', 'holder');
  await p.fill('#password', people.holder.password);
  await p.click('main button[type=submit]');
  await p.waitForURL(/\/sign-in\/set-up$/);
  await p.click('main button[type=submit]');
  people.holder.secret = (await p.textContent('#secret')).trim();
  await p.fill('#code', await freshCode(people.holder.secret));
  await p.click('main button[type=submit]');
  await p.waitForURL(base + '/');
  people.holderPage = p;
});

await step('the holder registers a collaborator with two modules, who sees only those', async () => {
  const h = people.holderPage;
  await h.goto(base + '/people');
  await axeCheck(h, 'people as mandate holder (nl)');
  await h.fill('#p-username', 'collab');
  await h.fill('#p-name', 'Collab Orator');
  await h.selectOption('#p-provider', holderProvider);
  await h.selectOption('#p-role', 'collaborator');
  await h.check('form.person input[name=module][value=submissions]');
  await h.check('form.person input[name=module][value=settlements]');
  await h.click('form.person button[type=submit]');
  people.collab = { once: (await h.textContent('#one-time-password')).trim() };
  const c = await browser.newContext({ locale: 'en-GB', viewport: { width: 820, height: 1180 } });  // a tablet
  const p = await c.newPage();
  Object.assign(people.collab, await firstSignIn(p, 'collab', people.collab.once));
  const nav = await p.locator('nav.modules a').allTextContents();
  assert.deepEqual(nav, ['Home', 'Submissions', 'Settlements and rejections', 'At a glance']);
  await p.goto(base + '/payments');
  assert.equal(await p.locator('.problem').count(), 1);
  const other = envois.find((e) => e.third_party !== holderProvider);
  const r = await p.goto(base + `/submissions/${other.id}`);
  assert.equal(r.status(), 404, "another provider's envoi is not said to exist");
  await p.goto(base + '/submissions');
  const providers = new Set(await p.locator('tbody tr td:nth-child(3)').allTextContents());
  assert.deepEqual([...providers], [holderProvider]);
  await axeCheck(p, 'submissions on a tablet (en)');
  await shot(p, 'tablet-submissions-en');
  await c.close();
});

await step("the holder's own book: attestations added from a JSON file, listed with their state", async () => {
  const h = people.holderPage;
  const members = fs.readFileSync(`${work}/world/refdata/members.csv`, 'utf8').trim().split('\n').slice(1, 3).map((l) => l.split(','));
  const attestations = members.map(([niss, , sex, mutuality], i) => ({
    attestation: `PORTAL${i}`, niss, affiliation: mutuality, destination: mutuality, ct1: '110', ct2: '110', sex,
    lines: [{ date: '2026-10-05', code: '425014', amount_cents: 1250, units: 1 }],
  }));
  await h.goto(base + '/billing/attestations');
  assert.equal(await h.locator('nav.tabs a').count(), 4);
  await h.click('details summary');
  await h.setInputFiles('#u-file', { name: 'attestations.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ attestations })) });
  await h.click('form[action="/billing/attestations"] button');
  assert.match(await h.textContent('.notice'), /toegevoegd: 2/);
  const rows = await h.locator('tbody tr').allTextContents();
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.ok(rows.every((r) => r.includes('wachtend')), rows.join('\n'));
  await h.click('details:has(form[action="/billing/attestations/mark"]) summary');
  await h.fill('#k-refs', 'PORTAL0');
  await h.selectOption('#k-state', 'archived');
  await h.fill('#k-reason', '500450 medisch huis');
  await h.click('form[action="/billing/attestations/mark"] button');
  // Only what the fund refused is archived by hand: a waiting attestation is not, and the page says why.
  assert.match(await h.textContent('.notice .problem'), /geweigerd.*PORTAL0 is waiting, not to correct/);
  const after = await h.locator('tbody tr').allTextContents();
  assert.ok(after.every((r) => r.includes('wachtend')), after.join('\n'));
  await axeCheck(h, 'book attestations (nl)');
  await shot(h, 'billing-attestations-nl');
  for (const url of ['/billing', '/billing/to-correct', '/billing/payments']) {
    const r = await h.goto(base + url);
    assert.equal(r.status(), 200, url);
    await axeCheck(h, `${url} (nl)`);
  }
  // Fund staff do not read a provider's book.
  await staffPage.goto(base + '/billing/attestations?provider=' + holderProvider);
  assert.equal(await staffPage.locator('tbody tr').count(), 0);
});

await step('a dispute opened by the holder, answered and settled by fund staff', async () => {
  const h = people.holderPage;
  await h.goto(base + '/disputes');
  await h.click('main a[href="/disputes/new"]');
  await axeCheck(h, 'new dispute (nl)');
  await h.fill('#d-subject', 'Betaling te laag voor zending 1');
  await h.click('main form button[type=submit]');
  await h.waitForURL(/\/disputes\/\d+$/);
  const url = h.url();
  assert.match(await h.textContent('ol.history'), /geopend/);
  assert.equal(await h.locator('#s-amount').count(), 0, 'only fund staff settle');
  await staffPage.goto(url);
  await staffPage.fill('#c-text', 'Nous vérifions.');
  await staffPage.click('form:has(input[value=comments]) button');
  await staffPage.waitForURL(url);
  await staffPage.fill('#s-amount', '12.50');
  await staffPage.click('form:has(input[value=settlement]) button');
  await staffPage.waitForURL(url);
  assert.match(await staffPage.textContent('dl.facts'), /réglé/);
  assert.match(await staffPage.textContent('ol.history'), /12,50\u00a0€/);
  await axeCheck(staffPage, 'dispute (fr)');
  await h.goto(url);
  assert.match(await h.textContent('ol.history'), /Nous vérifions\./);
});

const pages = ['/', '/submissions', '/settlements', '/payments', '/disputes', '/requests', '/agreements', '/care-pathways',
  '/care-pathways/payments', '/insurability', '/audit', '/registrations', '/forgot', '/register', '/me'];
const statisticsUrl = () => '/statistics?provider=' + busiest;
await step('every page in every language: its lang, no WCAG 2.1 A/AA violation, screenshots', async () => {
  const withEnvoi = [...pages, statisticsUrl(), new URL(envoiUrl).pathname, '/payments?reference=' + encodeURIComponent(refs[0].reference),
    ...(agreementUrl ? [agreementUrl] : [])];
  for (const lang of languages) {
    await setLanguage(staffPage, lang);
    for (const url of withEnvoi) {
      const r = await staffPage.goto(base + url);
      assert.equal(r.status(), 200, `${url} (${lang})`);
      assert.equal(await staffPage.getAttribute('html', 'lang'), lang, url);
      await axeCheck(staffPage, `${url} (${lang})`);
      const name = (url === '/' ? 'home' : url.slice(1).replace(/\?.*/, '').replace(/\//g, '-').replace(/^submissions-\d+/, 'submissions-envoi').replace(/^agreements-\d+/, 'agreement'));
      const main = ['home', 'submissions', 'submissions-envoi', 'payments', 'statistics'].includes(name);
      if (main || lang === 'fr') await shot(staffPage, `${name}-${lang}`);
    }
  }
  await setLanguage(staffPage, 'fr');
});

await step('the sign-in pages look right in every language', async () => {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await c.newPage();
  for (const lang of languages) {
    await setLanguage(p, lang);
    await p.goto(base + '/sign-in');
    await axeCheck(p, `sign-in (${lang})`);
    await shot(p, `sign-in-${lang}`);
  }
  await c.close();
});

await browser.close();
if (failures) {
  console.log(`${failures} step(s) failed`);
  process.exit(1);
}
console.log('portal browser tests: all passed');
