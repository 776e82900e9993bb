#!/usr/bin/env node
'use strict';
// Strips every URL from package-lock.json: "resolved" (npm ci fetches from the configured npm
// registry without it), "funding" links and license links. Run after `npm install` changes the
// lockfile: `node lib/clean-lockfile.js`.

const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
for (const pkg of Object.values(lock.packages || {})) {
  delete pkg.resolved;
  delete pkg.funding;
  if (Array.isArray(pkg.licenses)) {
    pkg.license = pkg.licenses.map((l) => (typeof l === 'string' ? l : l.type)).join(' OR ');
    delete pkg.licenses;
  }
  if (Array.isArray(pkg.license)) pkg.license = pkg.license.map((l) => (typeof l === 'string' ? l : l.type)).join(' OR ');
  else if (pkg.license && typeof pkg.license === 'object') pkg.license = pkg.license.type;
}
const text = `${JSON.stringify(lock, null, 2)}\n`;
const urls = text.match(/"[a-z]+:\/\/[^"]*"/g);
if (urls) {
  console.error(`package-lock.json still holds URLs: ${[...new Set(urls)].join(', ')}`);
  process.exit(1);
}
fs.writeFileSync(file, text);
