'use strict';
// The dashboard's files view in headless Chromium: upload, listed with a preview (same-origin,
// under the CSP), the clean-up of unreferenced files after its dry run, delete. Screenshots light
// and dark.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { skip, shots, openSection: open } = require('../lib/dashboard-ops');

/** A 2x2 PNG (orange), for a preview. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4WSwGRAwQCgAt0gYJmHickQAAAABJRU5ErkJggg==',
  'base64',
);

test('files: upload, listed with a preview, clean-up after a dry run, delete', { skip }, async (t) => {
  const { app, dash, page } = await open(t, 'files');
  await page.getByText('No files yet').waitFor();
  for (const file of [{ name: 'dot.png', mimeType: 'image/png', buffer: PNG }, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]) {
    await page.getByLabel('File to upload').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText(file.name, { exact: true }).waitFor();
  }
  // The thumbnail loaded (same origin, allowed by the CSP).
  const thumb = page.getByRole('button', { name: 'Preview dot.png' }).locator('img');
  await h.until('the thumbnail to load', () => thumb.evaluate((img) => img.complete && img.naturalWidth === 2));
  await page.getByRole('cell', { name: '5 B' }).waitFor();
  await shots(dash, 'files');
  await page.getByRole('button', { name: 'Preview dot.png' }).click();
  await page.getByRole('dialog', { name: 'dot.png' }).locator('img').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // The text file is referenced by an object: the dry run lists only the image; the real run
  // deletes it.
  const listed = await h.admin('GET', `${h.appPath(app)}/files?name=notes`);
  const notes = listed.body.results[0];
  const saved = await h.rest('POST', '/classes/Doc', { body: { file: { __type: 'File', name: notes.name } }, app });
  assert.equal(saved.status, 201, saved.text);
  await page.getByRole('button', { name: 'Clean up unreferenced…' }).click();
  await page.getByLabel('Grace period (hours)').fill('0');
  await page.getByRole('button', { name: 'Dry run: find them' }).click();
  const found = page.getByRole('list', { name: 'Unreferenced files' });
  await found.getByText(/_dot\.png$/).waitFor();
  assert.equal(await found.getByRole('listitem').count(), 1);
  await dash.screenshot('files-cleanup');
  await page.getByRole('button', { name: 'Delete unreferenced files' }).click();
  await page.getByText('Deleted 1 file').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Preview dot.png' }).waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Delete notes.txt' }).click();
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByText('No files yet').waitFor();
  const left = await h.admin('GET', `${h.appPath(app)}/files`);
  assert.deepEqual(left.body.results, []);
});
