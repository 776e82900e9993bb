'use strict';
// Helpers of the dashboard's browser tests of users, files, cloud functions and push
// (e2e/dashboard-ops*.test.js, e2e/dashboard-push*.test.js).

const h = require('./harness');
const { haveChromium, openDashboard } = require('./browser');

/** Why these tests skip: the dashboard is Hearth's, and needs Chromium. */
const skip = h.isHearth && haveChromium() ? false : 'the dashboard is Hearth\'s, and needs Chromium';

/** Screenshots of the page as it is, light then dark (the theme put back after). */
async function shots(dash, name) {
  const set = (theme) => dash.page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
  await set('light');
  await dash.screenshot(name);
  await set('dark');
  await dash.screenshot(`${name}-dark`);
  await set('light');
}

/** A new app, and the dashboard signed in and open on `section` of it. */
async function openSection(t, section) {
  const app = await h.createHearthApp(`ops ${section.split('/')[0]}`);
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/${section}`);
  return { app, dash, page: dash.page };
}

/** Waits until the Push compose form counts `n` targeted devices (its count settled). */
async function targeted(page, n) {
  await h.until(`${n} targeted devices`, async () => {
    const el = page.getByLabel('Targeted devices');
    if (!(await el.count())) return false;
    if ((await page.locator('.push-count').innerText()).includes('counting')) return false;
    return (await el.innerText()).trim() === String(n);
  });
}

module.exports = { skip, shots, openSection, targeted };
