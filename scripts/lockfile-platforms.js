#!/usr/bin/env node
// The npm registry this project installs from serves only the linux-x64 builds of packages that
// ship native binaries per platform (@swc/core-*, @unrs/resolver-binding-*). npm then writes a
// lockfile without the other platforms' optional entries, and `npm ci` refuses it as out of sync.
// This adds those entries with their os/cpu/libc, so `npm ci` skips them as foreign platforms.
// Run after any `npm install`: node scripts/lockfile-platforms.js
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));

function platformOf(name) {
  const tail = name.split('/').pop().replace(/^core-|^resolver-binding-/, '');
  const [os, cpu, abi] = tail.split('-');
  const cpuMap = { arm: 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', wasm32: 'wasm32' };
  const osMap = { darwin: 'darwin', linux: 'linux', win32: 'win32', android: 'android', freebsd: 'freebsd', openharmony: 'openharmony', wasm32: 'wasm32' };
  if (!osMap[os] || !cpuMap[cpu]) return null;
  const entry = { os: [osMap[os]], cpu: [cpuMap[cpu]] };
  if (abi && abi.startsWith('musl')) entry.libc = ['musl'];
  else if (abi && abi.startsWith('gnu')) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    if (!/^@swc\/core-|^@unrs\/resolver-binding-/.test(dep)) continue;
    const base = where === '' ? '' : `${where}/`;
    const key = `${base}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    lock.packages[hoisted] = { version, ...platform, optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lockfile: ${added} foreign-platform optional entries recorded`);
