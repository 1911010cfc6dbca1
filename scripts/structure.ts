/**
 * `npm run structure`: the shape of the production code and its stand-ins, measured from the source: modules and
 * lines per folder, import cycles (between files, from relative imports), and the biggest functions. The layer
 * rules themselves (no upward import) are a test: test/layers.test.ts. Used for before/after figures of a refactor.
 *   npm run structure [-- --top 15]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const TOP = Number(process.argv[process.argv.indexOf('--top') + 1]) || 12;
const FOLDERS = ['src', 'workflows', 'activities', 'dev'];

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...FOLDERS], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts') && existsSync(path.join(ROOT, f)));

/** The folder a file is counted under: its top folder and the next one down (src/lark, workflows). */
const groupOf = (f: string) =>
  f
    .split('/')
    .slice(0, f.split('/').length > 2 ? 2 : 1)
    .join('/');

const lines = new Map<string, number>();
const imports = new Map<string, string[]>();
const functions: Array<{ where: string; lines: number }> = [];

for (const file of files) {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  lines.set(file, text.split('\n').length);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const to: string[] = [];
  sf.forEachChild((node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      if (!spec.startsWith('.')) return;
      const base = path.normalize(path.join(path.dirname(file), spec));
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(path.join(ROOT, c)));
      if (target) to.push(target);
    }
  });
  imports.set(file, to);
  const visit = (node: ts.Node, owner: string) => {
    let name = owner;
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node)) {
      const own = (node as { name?: ts.Node }).name;
      const parent = node.parent;
      const label = own
        ? own.getText(sf)
        : ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)
          ? parent.name.getText(sf)
          : '(anonymous)';
      name = owner ? `${owner}.${label}` : label;
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ where: `${file}:${start + 1} ${name}`, lines: end - start + 1 });
    } else if (ts.isClassDeclaration(node) && node.name) {
      name = node.name.text;
    }
    node.forEachChild((c) => visit(c, name));
  };
  visit(sf, '');
}

// Import cycles: strongly connected components of more than one file (Tarjan).
const index = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
let counter = 0;
function strongConnect(v: string) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of imports.get(v) ?? []) {
    if (!index.has(w)) {
      strongConnect(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
  }
  if (low.get(v) === index.get(v)) {
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) cycles.push(scc.sort());
  }
}
for (const f of files) if (!index.has(f)) strongConnect(f);

const groups = new Map<string, { modules: number; lines: number }>();
for (const [f, n] of lines) {
  const g = groups.get(groupOf(f)) ?? { modules: 0, lines: 0 };
  g.modules++;
  g.lines += n;
  groups.set(groupOf(f), g);
}
const sum = (pred: (f: string) => boolean) => [...lines].filter(([f]) => pred(f)).reduce((a, [, n]) => a + n, 0);
const production = (f: string) => !f.startsWith('dev/') && !/^src\/(emulator\/|llm\/offline-|main\.ts|local-run\.ts|local-secrets\.ts|sandbox\.ts)/.test(f);

console.log(
  `modules: ${files.length}, lines: ${sum(() => true)} (production: ${files.filter(production).length} modules, ${sum(production)} lines; stand-ins: ${sum((f) => !production(f))} lines)`,
);
console.log('\nfolder                     modules   lines');
for (const [g, v] of [...groups].sort((a, b) => b[1].lines - a[1].lines))
  console.log(`${g.padEnd(26)} ${String(v.modules).padStart(7)} ${String(v.lines).padStart(7)}`);
console.log(`\nimport cycles: ${cycles.length}`);
for (const c of cycles) console.log(`  ${c.join(' <-> ')}`);
console.log(`\nbiggest functions (lines):`);
for (const f of functions.sort((a, b) => b.lines - a.lines).slice(0, TOP)) console.log(`${String(f.lines).padStart(5)}  ${f.where}`);
console.log(`\nbiggest modules (lines):`);
for (const [f, n] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${String(n).padStart(5)}  ${f}`);
