'use strict';
// The generated Kotlin SDK in end-to-end tests: kotlinc (Debian's `kotlin` package, installed by
// scripts/install-test-deps.sh) compiles an SDK with a small program into one jar, which runs with
// `java -jar` and prints `KEY=value` lines for the test to assert. kotlinc takes 15-40 s per
// compile, so tests compile each package once.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

/** Why the Kotlin tests cannot run here, or null when kotlinc and java are on PATH. Under
 * `make test` (HEARTH_REQUIRE_KOTLIN set) a missing compiler is an error, not a skip. */
function missingTools() {
  for (const tool of ['kotlinc', 'java']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      const why = `${tool} is not installed (scripts/install-test-deps.sh installs Debian's kotlin package)`;
      if (process.env.HEARTH_REQUIRE_KOTLIN) throw new Error(why);
      return why;
    }
  }
  return null;
}

/** Every `.kt` file below `dir`. */
function kotlinSources(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((p) => p.endsWith('.kt')).map((p) => path.join(dir, p)).sort();
}

/** Runs a command; resolves { status, stdout, stderr } (rejects only when it cannot start). */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** JVM options for short runs: the quick JIT tier only and the serial collector (kotlinc takes
 * about half the CPU time with them). */
const QUICK_JVM = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** Compiles `sources` into a runnable jar (the Kotlin runtime included); throws with the
 * compiler's errors (its warnings are left out) when it fails. */
async function compile(sources, jar) {
  const env = { ...process.env, JAVA_OPTS: [process.env.JAVA_OPTS || '', ...QUICK_JVM].join(' ').trim() };
  const r = await run('kotlinc', [...sources, '-include-runtime', '-d', jar], { timeoutMs: 5 * 60 * 1000, env });
  if (r.status !== 0) {
    const errors = r.stderr.split('\n').filter((l) => !/^warning:|Xverify|^OpenJDK/.test(l)).join('\n');
    throw new Error(`kotlinc failed (status ${r.status}, signal ${r.signal}):\n${errors.slice(0, 8000)}`);
  }
  return jar;
}

/** Runs `java -jar jar ...args`; answers the `KEY=value` lines as an object (and the raw run). */
async function runJar(jar, args = []) {
  const r = await run('java', [...QUICK_JVM, '-jar', jar, ...args], { timeoutMs: 2 * 60 * 1000 });
  const out = {};
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return { out, ...r };
}

/** A fresh temporary directory. */
function tempDir(prefix = 'hearth-kt-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = { missingTools, kotlinSources, compile, runJar, tempDir };
