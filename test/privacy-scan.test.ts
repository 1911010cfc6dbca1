/**
 * With payload encryption on, nothing the Temporal server hands to a client WITHOUT the key holds the user's
 * words: a full conversation (a meeting with an attendee behind a Confirm card, a task, a reminder), then every
 * workflow of the run is listed, described, queried for its current details and its history fetched, and all of
 * it (base64 payload data decoded too) is scanned for the message texts, titles and names used.
 * Twice: with PAYLOAD_ENCRYPTION_KEYS given, and on the local run's defaults (no PAYLOAD_ENCRYPTION_KEYS: the
 * key dev/main.ts generates into DATA_DIR, through the same dev/local-run.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { PayloadKey } from '../src/config';
import { withLocalSecrets } from '../dev/local-run';
import { EncryptionCodec } from '../src/temporal/payload-codec';
import { requireEnv } from './support/env';
import { startStack, type Stack, type StackOptions } from './support/stack';

/** Every string in a JSON value, with base64 fields also decoded as UTF-8 (payload data, user metadata). */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length >= 8) out.push(Buffer.from(value, 'base64').toString('utf8'));
  } else if (value instanceof Uint8Array) {
    out.push(Buffer.from(value).toString('utf8'));
  } else if (Array.isArray(value)) {
    for (const v of value) texts(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      texts(v, out);
    }
  }
  return out;
}

async function everythingUnencrypted(s: Stack, client: Client): Promise<string> {
  const all: string[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${s.taskQueue}"` })) {
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    all.push(...texts(wf.raw), ...texts(wf.searchAttributes), ...texts(wf.memo ?? {}));
    all.push(...texts((await handle.describe()).raw));
    all.push(...texts(await handle.fetchHistory()));
    // Current details (what the UI shows as "Current Details"), through the SDK's built-in metadata query.
    const meta = await handle.query('__temporal_workflow_metadata').catch((e: Error) => ({ refused: e.message }));
    all.push(...texts(meta));
  }
  return all.join('\n');
}

/** The conversation and the scan, on a stack started with `opts()`, whose active payload key is `keyId`. */
function scanConversation(setup: string, opts: () => StackOptions, keyId: string) {
  describe(setup, () => {
    let s: Stack;
    let plain: Client;
    before(async () => {
      s = await startStack(opts());
      await s.authorize('minh');
      plain = new Client({ connection: await Connection.connect({ address: requireEnv('TEST_TEMPORAL_ADDRESS') }), namespace: 'default' });
    });
    after(async () => {
      await plain?.connection.close();
      await s?.stop();
    });

    test('a conversation: summaries, details, current details and search attributes hold no user words', async () => {
      const meeting = await s.say('minh', 'tạo cuộc họp 3h chiều mai với Lan');
      const card = await s.waitFor('confirm card', () => s.repliesTo(meeting).find((m) => m.msg_type === 'interactive'));
      // While the card waits: the per-user run's current details are what the UI shows now.
      const waiting = await everythingUnencrypted(s, plain);
      await s.click('minh', card, 'confirm');
      await s.waitFor('meeting answered', () => s.repliesTo(meeting).find((m) => m.msg_type === 'text'));
      const task = await s.say('minh', 'add a task to send the quarterly report by Monday');
      await s.waitFor('task answered', () => s.repliesTo(task).find((m) => m.msg_type === 'text'));
      // A reminder: its workflow's input holds the text (the database seals it too).
      const reminder = await s.say('minh', 'remind me in 20 minutes to renew the passport');
      await s.waitFor('reminder answered', () => s.repliesTo(reminder).find((m) => m.msg_type === 'text'));
      await s.waitFor(
        'the reminder workflow listed (among the runs scanned)',
        async () => (await plain.workflow.count(`TaskQueue = "${s.taskQueue}" AND WorkflowType = "larkReminderWorkflow"`)).count === 1,
      );

      const created = s.emu.state
        .eventList()
        .map((e) => e.summary)
        .filter((t): t is string => Boolean(t));
      assert.ok(created.length >= 1, 'the meeting exists');
      const secret = [
        'cuộc họp',
        'chiều mai',
        'quarterly report',
        'passport',
        'Nguyễn Thị Lan',
        'Lan Nguyen',
        'Trần Văn Minh',
        'Minh Tran',
        ...created,
        ...s.emu.state.taskList().map((t) => t.summary),
      ];
      const seen = `${waiting}\n${await everythingUnencrypted(s, plain)}`.toLowerCase();
      for (const word of secret) assert.ok(!seen.includes(word.toLowerCase()), `"${word}" is visible without the key`);

      // The scan can fail: the same history, its payloads decoded with the key, does show the message text.
      const history = await plain.workflow.getHandle(`lark-user-${s.emu.user('minh').open_id}`).fetchHistory();
      const keys: PayloadKey[] = s.config.privacy.payloadKeys ?? [];
      assert.equal(keys[0]?.id, keyId, 'the run encrypts with the expected key');
      const codec = new EncryptionCodec(keys);
      const payloads: Payload[] = [];
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === 'object') {
          if ('metadata' in v && 'data' in v) payloads.push(v as Payload);
          else Object.values(v).forEach(collect);
        }
      };
      collect(history);
      const decoded = (await Promise.all(payloads.map((p) => codec.decode([p]).catch(() => [p])))).flat();
      assert.ok(
        decoded.some((p) =>
          Buffer.from(p.data ?? [])
            .toString('utf8')
            .includes('quarterly report'),
        ),
        'decoded with the key, the text is there',
      );
    });
  });
}

const KEY = `k1:${randomBytes(32).toString('base64')}`;
scanConversation('PAYLOAD_ENCRYPTION_KEYS given', () => ({ env: { PAYLOAD_ENCRYPTION_KEYS: KEY } }), 'k1');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'privacy-local-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
scanConversation("the local run's defaults (no PAYLOAD_ENCRYPTION_KEYS)", () => ({ env: { DATA_DIR: dataDir }, configure: withLocalSecrets }), 'local');
