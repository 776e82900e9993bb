'use strict';
// The data browser in headless Chromium (the schema view: dashboard-data-schema.test.js): a row added
// and each type edited in the grid (bad JSON, a type the server refuses, a GeoPoint out of
// range), a file uploaded into a File cell, an ACL that refuses a client; filters, sorting,
// following a pointer and a relation, deleting rows one and many at a time, export to CSV and
// import of a CSV with its preview. Each test has an app of its own.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');
const { until } = require('../lib/wait');

const skip = !h.isHearth || !haveChromium() ? 'needs Hearth and Chromium' : false;

/** A signed-in dashboard on `app`, refusing any request with its master key. */
async function dashboardFor(t, app) {
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  return dash;
}

const appPath = (app) => `/apps/${encodeURIComponent(app.applicationId)}`;

/** The cell of row `row` (0-based) in column `col`. */
const cell = (page, row, col) => page.locator(`.grid-body [role=row][aria-rowindex="${row + 2}"] [data-col="${col}"]`);

/** The row count in the class's header. */
const rowCount = (page, n) => page.locator('.browser-head').getByText(new RegExp(`^${n} rows`));

/** Opens the editor of a cell. */
async function edit(page, row, col) {
  await cell(page, row, col).dblclick();
  const dialog = page.getByRole('dialog', { name: `Edit ${col}` });
  await dialog.waitFor();
  return dialog;
}

async function createUser(app, username) {
  return h.ok(await h.rest('POST', '/users', { app, body: { username, password: 'pw-123456' } }), 'sign up').objectId;
}

test('data browser: add a row and edit each type, errors next to the editor, a file upload, an ACL that refuses a client', { skip }, async (t) => {
  const app = await h.createHearthApp('dashboard cells');
  const className = h.cls('Cells');
  const fields = {
    s: { type: 'String' },
    n: { type: 'Number' },
    b: { type: 'Boolean' },
    d: { type: 'Date' },
    o: { type: 'Object' },
    a: { type: 'Array' },
    p: { type: 'Pointer', targetClass: '_User' },
    f: { type: 'File' },
    g: { type: 'GeoPoint' },
  };
  h.ok(await h.rest('POST', `/schemas/${className}`, { app, body: { className, fields } }), 'the class');
  const userId = await createUser(app, 'alice');
  const dash = await dashboardFor(t, app);
  const { page } = dash;
  await dash.goto(`${appPath(app)}/data/${className}`);
  await page.getByText('This class has no rows yet').waitFor();

  await page.getByRole('button', { name: 'Add row' }).click();
  await rowCount(page, 1).waitFor();
  const objectId = await until('the new row', async () => {
    const text = ((await cell(page, 0, 'objectId').textContent()) || '').trim();
    return /^\w{10}$/.test(text) && text;
  });

  let dlg = await edit(page, 0, 's');
  await dlg.getByLabel('s', { exact: true }).fill('hello');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 's').getByText('hello').waitFor();

  dlg = await edit(page, 0, 'n');
  await dlg.getByLabel('n', { exact: true }).fill('42');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'n').getByText('42').waitFor();

  dlg = await edit(page, 0, 'b');
  await dlg.getByLabel('b', { exact: true }).selectOption('true');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'b').getByText('true').waitFor();

  dlg = await edit(page, 0, 'd');
  await dlg.getByLabel('d (UTC)').fill('2026-03-04T05:06:07.000');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'd').getByText('2026-03-04 05:06:07.000Z').waitFor();

  // Object: invalid JSON is refused before sending; valid JSON of the wrong type by the server.
  dlg = await edit(page, 0, 'o');
  await dlg.getByLabel('o (JSON)').fill('{oops');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await dlg.getByRole('alert').filter({ hasText: 'Not valid JSON' }).waitFor();
  await dlg.getByLabel('o (JSON)').fill('[1, 2]');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await dlg.getByRole('alert').filter({ hasText: /code \d+/ }).waitFor();
  await dash.screenshot('data-editor-json-error');
  await dlg.getByLabel('o (JSON)').fill('{"k": 1}');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'o').getByText('{"k":1}').waitFor();

  dlg = await edit(page, 0, 'a');
  await dlg.getByLabel('a (JSON)').fill('[1, "x"]');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'a').getByText('[1,"x"]').waitFor();

  dlg = await edit(page, 0, 'p');
  await dlg.getByRole('button', { name: new RegExp(userId) }).click();
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'p').getByText(userId).waitFor();

  dlg = await edit(page, 0, 'f');
  await dlg.getByLabel('Upload a file into f').setInputFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, file') });
  await cell(page, 0, 'f').getByText(/hello/).waitFor();

  dlg = await edit(page, 0, 'g');
  await dlg.getByLabel('Latitude').fill('91');
  await dlg.getByLabel('Longitude').fill('20');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await dlg.getByRole('alert').filter({ hasText: 'Latitude must be a number from -90 to 90' }).waitFor();
  await dlg.getByLabel('Latitude').fill('10');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'g').getByText('(10, 20)').waitFor();

  // The ACL: only alice; a client without her session no longer finds the object.
  assert.equal((await h.rest('GET', `/classes/${className}/${objectId}`, { app, key: 'js' })).status, 200, 'public before');
  dlg = await edit(page, 0, 'ACL');
  await dlg.getByLabel('Public read').uncheck();
  await dlg.getByLabel('Public write').uncheck();
  await dlg.getByLabel('User objectId').fill(userId);
  await dlg.getByRole('button', { name: 'Add user' }).click();
  await dlg.getByLabel('Role name').fill('Staff');
  await dlg.getByRole('button', { name: 'Add role' }).click();
  await dlg.getByLabel('role:Staff write').uncheck();
  await dash.screenshot('data-editor-acl');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await cell(page, 0, 'ACL').getByText('1 user, 1 role').waitFor();
  h.assertRestError(await h.rest('GET', `/classes/${className}/${objectId}`, { app, key: 'js' }), 404, 101, 'a client after the ACL');

  const saved = h.ok(await h.rest('GET', `/classes/${className}/${objectId}`, { app }), 'the object');
  assert.equal(saved.s, 'hello');
  assert.equal(saved.n, 42);
  assert.equal(saved.b, true);
  assert.deepEqual(saved.d, { __type: 'Date', iso: '2026-03-04T05:06:07.000Z' });
  assert.deepEqual(saved.o, { k: 1 });
  assert.deepEqual(saved.a, [1, 'x']);
  assert.deepEqual(saved.p, { __type: 'Pointer', className: '_User', objectId: userId });
  assert.equal(saved.f.__type, 'File');
  const file = await fetch(saved.f.url);
  assert.equal(await file.text(), 'hello, file', 'the uploaded file is served');
  assert.deepEqual(saved.g, { __type: 'GeoPoint', latitude: 10, longitude: 20 });
  assert.deepEqual(saved.ACL, { [userId]: { read: true, write: true }, 'role:Staff': { read: true } });

  // Keyboard: arrows move the active cell, Enter opens its editor, Escape closes it.
  await cell(page, 0, 'objectId').click();
  await page.getByRole('grid').press('ArrowRight');
  await page.getByRole('grid').press('Enter');
  const first = page.getByRole('dialog', { name: 'Edit a' });
  await first.waitFor();
  await first.getByLabel('a (JSON)').press('Escape');
  await first.waitFor({ state: 'detached' });
  await dash.screenshot('data-browser-row');
  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
  dlg = await edit(page, 0, 'ACL');
  await dash.screenshot('data-editor-acl-dark');
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  dlg = await edit(page, 0, 'p');
  await dlg.getByRole('button', { name: new RegExp(userId) }).waitFor();
  await dash.screenshot('data-editor-pointer-dark');
});

test('data browser: filter, sort, follow a pointer and a relation, delete rows, export CSV, import CSV', { skip }, async (t) => {
  const app = await h.createHearthApp('dashboard rows');
  const className = h.cls('Rows');
  h.ok(
    await h.rest('POST', `/schemas/${className}`, {
      app,
      body: { className, fields: { name: { type: 'String' }, score: { type: 'Number' }, owner: { type: 'Pointer', targetClass: '_User' }, friends: { type: 'Relation', targetClass: '_User' } } },
    }),
    'the class',
  );
  const userId = await createUser(app, 'bob');
  await createUser(app, 'carol');
  const ids = {};
  for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) {
    const body = { name, score: i + 1 };
    if (name === 'c') body.owner = { __type: 'Pointer', className: '_User', objectId: userId };
    ids[name] = h.ok(await h.rest('POST', `/classes/${className}`, { app, body })).objectId;
  }
  h.ok(
    await h.rest('PUT', `/classes/${className}/${ids.a}`, {
      app,
      body: { friends: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: userId }] } },
    }),
  );
  const dash = await dashboardFor(t, app);
  const { page } = dash;
  await dash.goto(`${appPath(app)}/data/${className}`);
  await rowCount(page, 5).waitFor();

  // Sort by a column: ascending, then descending.
  const sortBy = (name) => page.getByRole('columnheader', { name: new RegExp(`^${name}`) }).getByRole('button');
  await sortBy('score').click();
  await until('ascending', async () => (await cell(page, 0, 'score').textContent()) === '1');
  await sortBy('score').click();
  await until('descending', async () => (await cell(page, 0, 'score').textContent()) === '5');

  // Filters: a value that does not fit the type is refused next to the field; chips combine.
  await page.getByRole('button', { name: '+ Filter' }).click();
  await page.getByLabel('Filter field').selectOption('score');
  await page.getByLabel('Filter operator').selectOption('gt');
  await page.getByLabel('Filter value').fill('abc');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('.add-filter').getByRole('alert').filter({ hasText: 'not a number' }).waitFor();
  await page.getByLabel('Filter value').fill('2');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('score > 2').waitFor();
  await rowCount(page, 3).waitFor();
  await page.getByRole('button', { name: '+ Filter' }).click();
  await page.getByLabel('Filter field').selectOption('name');
  await page.getByLabel('Filter operator').selectOption('ne');
  await page.getByLabel('Filter value').fill('d');
  await page.getByRole('button', { name: 'Apply' }).click();
  await rowCount(page, 2).waitFor();
  await dash.screenshot('data-browser-filters');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await rowCount(page, 5).waitFor();
  // Pointer equality: the objectId typed, a pointer compared.
  await page.getByRole('button', { name: '+ Filter' }).click();
  await page.getByLabel('Filter field').selectOption('owner');
  await page.getByLabel('Filter operator').selectOption('eq');
  await page.getByLabel('Filter value').fill(userId);
  await page.getByRole('button', { name: 'Apply' }).click();
  await rowCount(page, 1).waitFor();
  await page.getByRole('gridcell', { name: ids.c, exact: true }).waitFor();
  await page.getByRole('button', { name: `Remove filter owner equals ${userId}` }).click();
  await rowCount(page, 5).waitFor();

  // Follow the pointer of c to its user, and the relation of a to its users.
  await page.getByRole('button', { name: `Follow owner of ${ids.c}` }).click();
  await page.getByRole('heading', { name: '_User' }).waitFor();
  await page.getByText(`objectId equals ${userId}`).waitFor();
  await rowCount(page, 1).waitFor();
  await page.getByRole('gridcell', { name: userId, exact: true }).waitFor();
  await page.goBack();
  // The relation by keyboard: its cell made active, then Alt+Enter.
  await page
    .locator('.grid-body [role=row]', { has: page.getByRole('gridcell', { name: ids.a, exact: true }) })
    .locator('[data-col=friends]')
    .click({ position: { x: 5, y: 5 } });
  await page.getByRole('grid').press('Alt+Enter');
  await page.getByText(`in ${className}.friends of ${ids.a}`).waitFor();
  await rowCount(page, 1).waitFor();
  await page.getByRole('gridcell', { name: userId, exact: true }).waitFor();
  await page.goBack();
  await rowCount(page, 5).waitFor();

  // Delete one row (the active one), then two selected.
  await page.getByRole('gridcell', { name: ids.e, exact: true }).click();
  await page.getByRole('button', { name: 'Delete row' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await rowCount(page, 4).waitFor();
  await page.getByLabel(`Select ${ids.a}`).check();
  await page.getByLabel(`Select ${ids.b}`).check();
  await page.getByRole('button', { name: 'Delete 2 selected' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await rowCount(page, 2).waitFor();
  const left = h.ok(await h.rest('GET', `/classes/${className}`, { app, query: { order: 'name' } })).results.map((o) => o.name);
  assert.deepEqual(left, ['c', 'd']);

  // Export the class as CSV.
  await page.getByRole('button', { name: 'Export' }).click();
  await page.getByRole('button', { name: 'Start export' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${className}.csv` }).click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r\n/);
  assert.equal(csv[0], 'objectId,name,owner,score,createdAt,updatedAt,ACL');
  assert.equal(csv.length, 3, `a header and two rows: ${csv.join('\n')}`);
  assert.ok(csv.some((l) => l.startsWith(`${ids.c},c,${userId},3,`)), csv.join('\n'));
  // And as JSON.
  await page.getByRole('radio', { name: 'JSON' }).check();
  await page.getByRole('button', { name: 'Export again' }).click();
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${className}.json` }).click()]);
  const exported = JSON.parse(fs.readFileSync(await json.path(), 'utf8')).results;
  assert.deepEqual(exported.map((o) => o.name).sort(), ['c', 'd']);
  await page.getByRole('dialog').getByRole('button', { name: 'Close', exact: true }).click();

  // An import over the size limit is refused before reading it.
  await page.getByRole('button', { name: 'Import' }).click();
  const big = page.getByRole('dialog', { name: `Import into ${className}` });
  await big.getByLabel('CSV or JSON file').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(6 * 1024 * 1024, 'a') });
  await big.getByRole('alert').filter({ hasText: 'imports take at most 5 MB' }).waitFor();
  await big.getByRole('button', { name: 'Cancel' }).click();

  // Import a CSV: a preview with inferred types, a row with an error skipped.
  await page.getByRole('button', { name: 'Import' }).click();
  const dialog = page.getByRole('dialog', { name: `Import into ${className}` });
  await dialog.getByLabel('CSV or JSON file').setInputFiles({
    name: 'rows.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('name,score,when\r\nx,10,2026-01-01\r\ny,11,2026-01-02T10:00:00Z\r\nz,oops,2026-01-03\r\n'),
  });
  await dialog.getByText('Line 4: score: "oops" is not a number').waitFor();
  assert.equal(await dialog.getByLabel('Type of when').inputValue(), 'Date');
  await dash.screenshot('data-import-preview');
  await dialog.getByRole('button', { name: 'Import 2 rows' }).click();
  await dialog.getByText('Created 2 rows.').waitFor();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await rowCount(page, 4).waitFor();
  const imported = h.ok(await h.rest('GET', `/classes/${className}`, { app, query: { where: { name: { $in: ['x', 'y'] } }, order: 'name' } })).results;
  assert.deepEqual(
    imported.map((o) => [o.name, o.score, o.when]),
    [
      ['x', 10, { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' }],
      ['y', 11, { __type: 'Date', iso: '2026-01-02T10:00:00.000Z' }],
    ],
  );
  // An import the server refuses part of imports nothing: a JSON row with text for the Number
  // column is refused, and the row before it and the new column go too.
  await page.getByRole('button', { name: 'Import' }).click();
  const refused = page.getByRole('dialog', { name: `Import into ${className}` });
  await refused.getByLabel('CSV or JSON file').setInputFiles({
    name: 'rows.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify([{ name: 'j1', score: 1, extra: 'a new column' }, { name: 'j2', score: 'not a number' }])),
  });
  await refused.getByRole('button', { name: 'Import 2 rows' }).click();
  await refused.getByRole('alert').filter({ hasText: 'Nothing was imported.' }).waitFor();
  await refused.getByRole('button', { name: 'Cancel' }).click();
  const none = h.ok(await h.rest('GET', `/classes/${className}`, { app, query: { where: { name: { $in: ['j1', 'j2'] } } } })).results;
  assert.deepEqual(none, [], 'no row of the refused import stays');
  const after = h.ok(await h.rest('GET', `/schemas/${className}`, { app }));
  assert.equal(after.fields.extra, undefined, 'nor its new column');

  await dash.screenshot('data-browser');
  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
  await dash.screenshot('data-browser-dark');
});
