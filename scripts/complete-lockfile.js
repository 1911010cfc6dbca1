#!/usr/bin/env node
// The package registry this project is developed against lacks some platform-only binaries
// (@swc/core-darwin-*, -win32-*), so `npm install` here writes a lockfile without them and
// `npm ci` then refuses it. This adds the missing optional, platform-gated entries (name, version,
// os, cpu): npm skips them on other platforms and fetches them by version where they apply.
// Run after `npm install`: node scripts/complete-lockfile.js  (--check only reports, exit 1 if incomplete)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'sunos', 'aix', 'netbsd'];
const CPU = ['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  return os && cpu ? { os, cpu } : undefined;
}

const missing = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const depKey = `node_modules/${dep}`;
    const nested = `${key}/node_modules/${dep}`;
    if (lock.packages[depKey] || lock.packages[nested]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
    missing.push(dep);
    lock.packages[depKey] = { version, cpu: [platform.cpu], os: [platform.os], optional: true };
  }
}

if (process.argv.includes('--check')) {
  if (missing.length) {
    console.error(`package-lock.json lacks ${missing.length} platform entries (${missing.join(', ')}): run node scripts/complete-lockfile.js`);
    process.exit(1);
  }
  process.exit(0);
}
if (missing.length) {
  const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  lock.packages = sorted;
  fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`complete-lockfile: added ${missing.length} platform entries`);
