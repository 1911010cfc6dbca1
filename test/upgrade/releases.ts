/**
 * The releases named in RELEASES and their source trees. A release's tree is extracted from git into
 * .releases/ (ignored) once, with node_modules shared with this checkout when the lockfiles match, so its
 * worker and webhook can run beside the current code: the replay histories are exported from it, and the
 * upgrade test starts it, leaves work in flight, and finishes that work on the current code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const HISTORIES_DIR = path.join(ROOT, 'test', 'histories');

export interface Release {
  name: string;
  commit: string;
  date: string;
  note: string;
}

/** RELEASES, oldest first. Lines: `name commit date note...`; '#' starts a comment. */
export function readReleases(file = path.join(ROOT, 'RELEASES')): Release[] {
  const releases: Release[] = [];
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, commit, date, ...note] = line.split(/\s+/);
    if (!name || !commit || !/^[0-9a-f]{40}$/.test(commit) || !date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw new Error(`RELEASES line ${i + 1}: expected "name <40-hex commit> YYYY-MM-DD note", got "${line}"`);
    }
    releases.push({ name, commit, date, note: note.join(' ') });
  }
  if (new Set(releases.map((r) => r.name)).size !== releases.length) throw new Error('RELEASES: a release name appears twice');
  return releases;
}

export function findRelease(name: string): Release {
  const r = readReleases().find((x) => x.name === name || x.commit.startsWith(name));
  if (!r) throw new Error(`no release "${name}" in RELEASES`);
  return r;
}

/**
 * True when every package the release names (dependencies and devDependencies) is installed here at the version
 * its own lockfile pins: then it runs on this checkout's node_modules (a release that only lacks packages
 * added since needs no install of its own).
 */
function sameDirectDependencies(dir: string): boolean {
  type Lock = { packages: Record<string, { version?: string }> };
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const theirs = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as Lock;
  const ours = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).every((name) => {
    const v = theirs.packages[`node_modules/${name}`]?.version;
    return v !== undefined && ours.packages[`node_modules/${name}`]?.version === v;
  });
}

const sha1 = (file: string) => createHash('sha1').update(readFileSync(file)).digest('hex');

/**
 * The release's source tree, extracted once into .releases/<name>-<commit>. Needs the commit in this clone
 * (a shallow clone lacks it: `git fetch --unshallow`).
 */
export function releaseTree(release: Release, log: (line: string) => void = () => undefined): string {
  const dir = path.join(ROOT, '.releases', `${release.name}-${release.commit.slice(0, 12)}`);
  const ready = path.join(dir, '.extracted');
  if (!existsSync(ready)) {
    try {
      execFileSync('git', ['cat-file', '-e', `${release.commit}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      throw new Error(`release ${release.name}: commit ${release.commit} is not in this clone (a shallow clone? run: git fetch --unshallow)`);
    }
    log(`extracting ${release.name} (${release.commit.slice(0, 12)}) into ${path.relative(ROOT, dir)}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${release.commit} | tar -x -C "${tmp}"`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    writeFileSync(ready, new Date().toISOString());
  }
  const modules = path.join(dir, 'node_modules');
  if (!existsSync(modules)) {
    if (sha1(path.join(dir, 'package-lock.json')) === sha1(path.join(ROOT, 'package-lock.json')) || sameDirectDependencies(dir)) {
      symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), modules);
    } else {
      log(`${release.name} has other dependencies: npm ci in ${path.relative(ROOT, dir)}`);
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
  return dir;
}
