/**
 * Every import points down the layers (README "Layout"):
 *   entry points, emulator > webhook > temporal client > workflows > workflow contract > activities > services >
 *   libraries (lark, llm, storage, db, oauth, agent, tools, cards, i18n, reminders) > config > base (logger, errors, time).
 * Plus the rules a layer number cannot say: workflow code reaches activities only through the type imports of
 * workflows/activity-proxies.ts; the contract takes only types from workflow files and config; activities reach
 * workflows only through the contract; the webhook imports no workflow or activity code.
 * The stand-ins live in dev/ (the emulator, the offline model, the sandbox, the local run), outside the production
 * build: production code (src/, activities/, workflows/) never imports dev/; dev/ may import production code; the
 * emulator and the offline model use only the libraries, as they stand in for Lark and Anthropic.
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
    // dev/: the stand-ins and the local run, not built into production (tsconfig.build.json, the Dockerfile).
    [/^dev\/emulator\//, 'emulator', 9],
    [/^dev\/llm\/offline-[^/]+\.ts$/, 'offline model', 2],
    [/^dev\/local-secrets\.ts$/, 'dev base', 0],
    [/^dev\//, 'dev', 10],
    [/^src\/(worker|metrics-server)\.ts$/, 'entry', 9],
    [/^src\/webhook\//, 'webhook', 8],
    [/^src\/temporal\//, 'temporal', 7],
    [/^workflows\/contract\.ts$/, 'contract', 5],
    [/^workflows\//, 'workflows', 6],
    [/^activities\//, 'activities', 4],
    [/^src\/services\.ts$/, 'services', 3],
    [/^src\/config\.ts$/, 'config', 1],
    // Leaves with no project imports: anything may use them.
    [/^src\/(root|http-error|logger|metrics)\.ts$|^src\/lark\/time\.ts$/, 'base', 0],
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
  if (isDev(to) && !isDev(from)) return 'production code never imports dev/ (the stand-ins are not in the build): inject it from a dev/ entry point';
  if (a.name === 'workflows' && b.name === 'activities') {
    return from === 'workflows/activity-proxies.ts' && typeOnly
      ? undefined
      : 'workflow code reaches activities only through workflows/activity-proxies.ts (type imports)';
  }
  if (a.name === 'contract' && (b.name === 'workflows' || b.name === 'config'))
    return typeOnly ? undefined : 'the contract takes only types from workflow code and config';
  if ((a.name === 'workflows' || a.name === 'contract') && b.name === 'config')
    return typeOnly ? undefined : 'workflow code takes only types from config (it is bundled into the sandbox)';
  if (a.name === 'activities' && b.name === 'workflows') return 'activities reach workflows only through workflows/contract.ts';
  if (a.name === 'webhook' && ['workflows', 'contract', 'activities'].includes(b.name))
    return 'the webhook goes through src/temporal, never to workflow or activity code';
  if (a.name === 'emulator' && !['libraries', 'config', 'base', 'emulator'].includes(b.name))
    return 'the emulator stands in for Lark: it uses only the libraries';
  if (a.name === 'offline model' && !['libraries', 'config', 'base', 'offline model'].includes(b.name))
    return 'the offline model stands in for Anthropic: it uses only the libraries';
  if (b.name === 'contract') return undefined; // the webhook-facing temporal client, activities and workflows share it
  if (b.rank > a.rank) return `${a.name} may not import ${b.name} (upward)`;
  return undefined;
}

const isDev = (file: string): boolean => file.startsWith('dev/');

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'workflows', 'activities', 'dev'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((f) => f.endsWith('.ts') && existsSync(path.join(ROOT, f)));
}

test('every import in src/, workflows/, activities/ and dev/ points down the layers', () => {
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
  // dev/: production never imports it, not even a type; it imports production code; its stand-ins only the libraries.
  assert.match(refusal(edge('activities/llm.ts', 'dev/llm/offline-model.ts')) ?? '', /never imports dev\//);
  assert.match(refusal(edge('src/temporal/worker.ts', 'dev/llm/stand-in.ts', true)) ?? '', /never imports dev\//);
  assert.match(refusal(edge('src/services.ts', 'dev/local-secrets.ts')) ?? '', /never imports dev\//);
  assert.match(refusal(edge('workflows/agent-loop.ts', 'dev/emulator/index.ts', true)) ?? '', /never imports dev\//);
  assert.match(refusal(edge('dev/emulator/server.ts', 'src/temporal/worker.ts')) ?? '', /emulator stands in for Lark/);
  assert.match(refusal(edge('dev/llm/offline-rules.ts', 'activities/llm.ts', true)) ?? '', /offline model stands in for Anthropic/);
  assert.match(refusal(edge('dev/llm/offline-rules.ts', 'dev/emulator/state.ts')) ?? '', /offline model stands in for Anthropic/);
  assert.equal(refusal(edge('dev/main.ts', 'src/temporal/worker.ts')), undefined);
  assert.equal(refusal(edge('dev/worker.ts', 'src/worker.ts')), undefined);
  assert.equal(refusal(edge('dev/llm/stand-in.ts', 'activities/llm.ts', true)), undefined);
  assert.equal(refusal(edge('dev/emulator/calendar.ts', 'src/lark/time.ts')), undefined);
  // A tool family's spec is a library (workflow code reads its rules); its activities are the activity layer.
  assert.match(refusal(edge('src/tools/calendar/spec.ts', 'activities/tools/calendar.ts')) ?? '', /upward/);
  assert.equal(refusal(edge('workflows/tool-confirmation.ts', 'src/tools/registry.ts')), undefined);
  assert.equal(refusal(edge('activities/tools/calendar.ts', 'src/tools/calendar/spec.ts')), undefined);
});

test('production code names no dev/ module, not even in a dynamic import or require', () => {
  const named = sourceFiles()
    .filter((f) => !isDev(f))
    .flatMap((f) =>
      readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /(?:import|require)\s*\(\s*['"`](?:\.\.?\/)+dev\//.test(line) || /from\s+['"](?:\.\.?\/)+dev\//.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
  assert.deepEqual(named, []);
});
