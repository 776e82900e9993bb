'use strict';
// The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core).
//
//   const { openDashboard } = require('../lib/browser');
//   const dash = await openDashboard(t);           // signed in as the run's administrator
//   await dash.page.getByRole('link', { name: 'Data browser' }).click();
//   await dash.screenshot('data-browser');          // saved under the run's artefacts folder
//
// Every request the page makes and every answer it gets is recorded, and when the test ends
// `dash.close()` (registered with `t.after`) asserts that no request carried a master key
// (header, body field, or the value of a master key the test registered with `dash.forbid(key)`),
// that no answer carried a registered master key, and that the page logged no error (a
// Content-Security-Policy violation is one).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { BASE } = require('./harness');

const CHROMIUM = process.env.HEARTH_CHROMIUM || '/usr/bin/chromium';
/** Where screenshots go: E2E_ARTIFACTS_DIR, else tests/artifacts/. */
const ARTIFACTS = process.env.E2E_ARTIFACTS_DIR || path.join(__dirname, '..', 'artifacts');

function haveChromium() {
  return fs.existsSync(CHROMIUM);
}

/**
 * A signed-in dashboard in a fresh browser profile. opts: email, password (default the run's
 * administrator), signIn (default true), viewport (default 1280x720).
 */
async function openDashboard(t, opts = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport || { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15000);
  const requests = [];
  const problems = [];
  const forbidden = new Set();
  page.on('request', (req) => {
    requests.push({ method: req.method(), url: req.url(), headers: req.headers(), body: req.postData() || '' });
  });
  // Answers too: a master key must not reach the page, in any answer.
  const answers = [];
  page.on('response', (res) => {
    answers.push(
      res
        .text()
        .then((body) => ({ url: res.url(), body }))
        .catch(() => ({ url: res.url(), body: '' })),
    );
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // A failed call is shown to the user by the view; the browser also logs the HTTP status.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
    problems.push(`console error: ${text}`);
  });

  const dash = {
    page,
    context,
    requests,
    /** Fails the test if any later request carries `key` (a master key the test knows). */
    forbid(key) {
      if (key) forbidden.add(key);
    },
    url(p = '/') {
      return `${BASE}/dashboard${p}`;
    },
    async goto(p = '/') {
      await page.goto(dash.url(p));
    },
    async signIn(email = process.env.E2E_ADMIN_EMAIL, password = process.env.E2E_ADMIN_PASSWORD) {
      await page.goto(dash.url('/login'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Hearth', exact: true }).waitFor();
    },
    /** Saves a full-page screenshot as <artefacts>/screenshots/<name>.png. */
    async screenshot(name) {
      const dir = path.join(ARTIFACTS, 'screenshots');
      fs.mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
    },
    /** The recorded requests that carried a master key, as descriptions. */
    masterKeyRequests() {
      const found = [];
      for (const r of requests) {
        const h = Object.keys(r.headers).find((k) => k.toLowerCase() === 'x-parse-master-key');
        if (h) found.push(`${r.method} ${r.url}: header ${h}`);
        if (r.body.includes('_MasterKey')) found.push(`${r.method} ${r.url}: body field _MasterKey`);
        for (const key of forbidden) {
          if (r.url.includes(key) || r.body.includes(key) || Object.values(r.headers).some((v) => String(v).includes(key))) {
            found.push(`${r.method} ${r.url}: carries a master key's value`);
          }
        }
      }
      return found;
    },
    /** The answers the page received that carry a master key the test registered. */
    async masterKeyAnswers() {
      const found = [];
      for (const { url, body } of await Promise.all(answers)) {
        for (const key of forbidden) if (body.includes(key)) found.push(`${url}: carries a master key's value`);
      }
      return found;
    },
    async close() {
      const leaked = await dash.masterKeyAnswers();
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
      assert.deepEqual(dash.masterKeyRequests(), [], 'no request from the browser carries a master key');
      assert.deepEqual(leaked, [], 'no answer to the browser carries a master key');
      assert.deepEqual(problems, [], 'the page logged no errors');
    },
  };
  if (t) t.after(() => dash.close());
  if (opts.signIn !== false) await dash.signIn(opts.email, opts.password);
  return dash;
}

module.exports = { openDashboard, haveChromium, ARTIFACTS };
