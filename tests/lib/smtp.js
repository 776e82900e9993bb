'use strict';
// A real SMTP server (aiosmtpd, tests/lib/smtp-sink.py) for the email tests: start() runs one on
// a free port with a folder of its own; waitForMail(to) waits (up to a deadline) until a message
// to that address has arrived and returns it ({to, subject, text}); link(text, page) finds the
// link to a Hearth page in a message. Python comes from HEARTH_TEST_PYTHON (make test's
// environment with aiosmtpd), else python3.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./process');
const { until } = require('./wait');

async function start() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-smtp-'));
  const port = await freePort();
  const python = process.env.HEARTH_TEST_PYTHON || 'python3';
  const child = spawn(python, [path.join(__dirname, 'smtp-sink.py'), folder, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the SMTP sink did not start: ${err}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the SMTP sink exited (${code}): ${err} (is aiosmtpd installed? make test installs it)`));
    });
  });
  const seen = new Set();
  return {
    port,
    /** The next message to `to` not returned before; waits at most `ms`. */
    async waitForMail(to, ms = 15000) {
      return until(`a mail to ${to}`, () => {
        for (const name of fs.readdirSync(folder).filter((n) => n.endsWith('.json')).sort()) {
          if (seen.has(name)) continue;
          const mail = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
          if (mail.to.includes(to.toLowerCase())) {
            seen.add(name);
            return mail;
          }
        }
        return null;
      }, { ms, every: 10 });
    },
    async stop() {
      child.kill('SIGTERM');
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The first link in `text` to `page` (verify_email, request_password_reset). */
function link(text, page) {
  const m = text.match(new RegExp(`https?://\\S*/${page}\\?token=[A-Za-z0-9%._~-]+`));
  if (!m) throw new Error(`no ${page} link in: ${text}`);
  return m[0];
}

module.exports = { start, link };
