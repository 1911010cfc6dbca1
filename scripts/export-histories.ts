/**
 * Exports the histories of a release's long-lived workflows in every waiting state, for the replay suite.
 *   npm run histories:export -- r2        (a release named in RELEASES)
 * Runs the release's own worker and webhook (extracted from git) on a fresh Temporal dev server and
 * PostgreSQL, creates the in-flight work of test/upgrade/in-flight.ts, and writes each open run's history
 * (and the run that continued-as-new) to test/histories/<release>/<state>.json. Commit them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveTemporalCli } from '../src/temporal/cli';
import { startDevServer } from '../src/temporal/dev-server';
import { userWorkflowId } from '../workflows/contract';
import { startPostgresServer } from '../test/support/postgres-server';
import { ACTORS, openWorld } from '../test/upgrade/deployment';
import { createInFlightWork, longLivedRuns, reminderKind } from '../test/upgrade/in-flight';
import { historyToObject } from '../test/upgrade/history-file';
import { findRelease, HISTORIES_DIR, releaseTree } from '../test/upgrade/releases';

/** What each actor's per-user run is waiting for when exported. */
const USER_STATES: Record<string, string> = {
  an: 'user-waiting-for-sign-in-with-queue',
  binh: 'user-confirm-card-waiting',
  chi: 'user-slot-card-waiting',
  dung: 'user-undo-window-open',
  giang: 'user-idle-with-reminders',
  hanh: 'user-idle-with-linked-reminder',
  khanh: 'user-just-after-continue-as-new',
};

async function main() {
  const name = process.argv[2];
  if (!name) throw new Error('usage: npm run histories:export -- <release name from RELEASES>');
  const release = findRelease(name);
  const say = (l: string) => process.stderr.write(`[export] ${l}\n`);
  const tree = releaseTree(release, say);
  const temporal = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH ?? resolveTemporalCli(), logLevel: 'error' });
  const postgres = await startPostgresServer();
  const world = await openWorld({
    temporalAddress: temporal.address,
    adminDatabaseUrl: postgres.url,
    extraEnv: { USER_HISTORY_EVENT_CAP: '100' },
    verbose: true,
  });
  try {
    await world.deploy(tree);
    const inflight = await createInFlightWork(world);
    const out = path.join(HISTORIES_DIR, release.name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const write = async (file: string, workflowId: string, runId: string, type: string, state: string) => {
      const history = await world.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const body = { release: release.name, commit: release.commit, workflowId, workflowType: type, state, history: historyToObject(history) };
      writeFileSync(path.join(out, `${file}.json`), JSON.stringify(body, null, 1) + '\n');
      say(`${file}: ${history.events?.length ?? 0} events`);
    };
    const byOpenId = new Map(ACTORS.map((a) => [userWorkflowId(world.emu.user(a.key).open_id), a.key]));
    for (const r of await longLivedRuns(world)) {
      if (r.type === 'larkUserWorkflow') {
        const key = byOpenId.get(r.workflowId);
        if (!key) continue; // a colleague's run (none expected)
        await write(USER_STATES[key]!, r.workflowId, r.runId, r.type, USER_STATES[key]!);
      } else if (r.type === 'larkReminderWorkflow') {
        const kind = await reminderKind(world, r.workflowId);
        await write(`reminder-${kind}`, r.workflowId, r.runId, r.type, `reminder-${kind}`);
      }
    }
    const khanh = userWorkflowId(world.emu.user('khanh').open_id);
    await write('user-continued-as-new', khanh, inflight.continuedRunId!, 'larkUserWorkflow', 'user-continued-as-new');
  } finally {
    await world.close();
    await temporal.stop();
    await postgres.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[export] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
