/**
 * Every import points down the layers (README "Layout"):
 *   entry points, emulator > webhook > temporal client > workflows > workflow contract > activities > services >
 *   libraries (lark, llm, storage, db, oauth, agent, tools, cards, i18n, reminders) > config > base (logger, errors, time).
 * Plus the rules a layer number cannot say: workflow code reaches activities only through the type imports of
 * workflows/activity-proxies.ts; the contract takes only types from workflow files and config; activities reach
 * workflows only through the contract; the webhook imports no workflow or activity code.
 * Read from the source text, so a new upward import fails here with its file and line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..');

type Layer = { name: string; rank: number };

function layerOf(file: string): Layer {
  const rule: Array<[RegExp, string, number]> = [
    [/^src\/emulator\//, 'emulator', 9],
    [/^src\/(main|worker|sandbox|metrics-server)\.ts$/, 'entry', 9],
    [/^src\/webhook\//, 'webhook', 8],
    [/^src\/temporal\//, 'temporal', 7],
    [/^workflows\/contract\.ts$/, 'contract', 5],
    [/^workflows\//, 'workflows', 6],
    [/^activities\//, 'activities', 4],
    [/^src\/services\.ts$/, 'services', 3],
    [/^src\/config\.ts$/, 'config', 1],
    // Leaves with no project imports: anything may use them.
    [/^src\/(root|http-error|logger|local-secrets|metrics)\.ts$|^src\/lark\/time\.ts$/, 'base', 0],
    [/^src\//, 'libraries', 2],
  ];
  const hit = rule.find(([re]) => re.test(file));
  assert.ok(hit, `no layer for ${file}`);
  return { name: hit[1], rank: hit[2] };
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

function importsOf(file: string): Edge[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const edges: Edge[] = [];
  const re = /^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)';/gms;
  for (const m of text.matchAll(re)) {
    let to = path.normalize(path.join(path.dirname(file), m[2]!));
    to = existsSync(path.join(ROOT, `${to}.ts`)) ? `${to}.ts` : path.join(to, 'index.ts');
    edges.push({ from: file, to, typeOnly: Boolean(m[1]), line: text.slice(0, m.index).split('\n').length });
  }
  return edges;
}

/** Why an import is refused, or undefined when it points down (or sideways within a layer). */
function refusal({ from, to, typeOnly }: Edge): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a.name === 'workflows' && b.name === 'activities') {
    return from === 'workflows/activity-proxies.ts' && typeOnly ? undefined : 'workflow code reaches activities only through workflows/activity-proxies.ts (type imports)';
  }
  if (a.name === 'contract' && (b.name === 'workflows' || b.name === 'config')) return typeOnly ? undefined : 'the contract takes only types from workflow code and config';
  if ((a.name === 'workflows' || a.name === 'contract') && b.name === 'config') return typeOnly ? undefined : 'workflow code takes only types from config (it is bundled into the sandbox)';
  if (a.name === 'activities' && b.name === 'workflows') return 'activities reach workflows only through workflows/contract.ts';
  if (a.name === 'webhook' && ['workflows', 'contract', 'activities'].includes(b.name)) return 'the webhook goes through src/temporal, never to workflow or activity code';
  if (a.name === 'emulator' && !['libraries', 'config', 'base', 'emulator'].includes(b.name)) return 'the emulator stands in for Lark: it uses only the libraries';
  if (b.name === 'contract') return undefined; // the webhook-facing temporal client, activities and workflows share it
  if (b.rank > a.rank) return `${a.name} may not import ${b.name} (upward)`;
  return undefined;
}

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'workflows', 'activities'], { cwd: ROOT, encoding: 'utf8' });
  return listed.split('\n').filter((f) => f.endsWith('.ts') && existsSync(path.join(ROOT, f)));
}

test('every import in src/, workflows/ and activities/ points down the layers', () => {
  const files = sourceFiles();
  assert.ok(files.length > 100, `read ${files.length} files`);
  const edges = files.flatMap(importsOf);
  assert.ok(edges.length > 300, `read ${edges.length} imports`);
  const refused = edges.flatMap((e) => {
    const why = refusal(e);
    return why ? [`${e.from}:${e.line} -> ${e.to}: ${why}`] : [];
  });
  assert.deepEqual(refused, []);
});

test('the check refuses what it should (it can fail)', () => {
  const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly, line: 1 });
  assert.match(refusal(edge('src/lark/client.ts', 'src/temporal/worker.ts')) ?? '', /upward/);
  assert.match(refusal(edge('src/config.ts', 'src/temporal/payload-codec.ts')) ?? '', /upward/);
  assert.match(refusal(edge('workflows/agent-loop.ts', 'activities/tools/index.ts', true)) ?? '', /activity-proxies/);
  assert.match(refusal(edge('activities/intake.ts', 'workflows/user-workflow.ts', true)) ?? '', /contract/);
  assert.match(refusal(edge('src/webhook/app.ts', 'workflows/contract.ts')) ?? '', /src\/temporal/);
  assert.match(refusal(edge('workflows/agent-loop.ts', 'src/config.ts')) ?? '', /only types/);
  assert.equal(refusal(edge('workflows/activity-proxies.ts', 'activities/llm.ts', true)), undefined);
  assert.equal(refusal(edge('activities/intake.ts', 'workflows/contract.ts')), undefined);
  assert.equal(refusal(edge('src/temporal/card-actions.ts', 'workflows/contract.ts')), undefined);
  assert.equal(refusal(edge('src/lark/client.ts', 'src/lark/errors.ts')), undefined);
  // A tool family's spec is a library (workflow code reads its rules); its activities are the activity layer.
  assert.match(refusal(edge('src/tools/calendar/spec.ts', 'activities/tools/calendar.ts')) ?? '', /upward/);
  assert.equal(refusal(edge('workflows/tool-confirmation.ts', 'src/tools/registry.ts')), undefined);
  assert.equal(refusal(edge('activities/tools/calendar.ts', 'src/tools/calendar/spec.ts')), undefined);
});
