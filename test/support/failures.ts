/** What a failing call ends with, asserted once here for every test file. */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { toLarkFailure } from '../../src/lark/errors';

/** The error `p` rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

/** The ApplicationFailure `p` rejects with (an activity run, a call in an activity context). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejection(p);
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

/** `err` as the Temporal failure src/lark/errors.ts makes of it (typed, retryable or not). */
export function larkFailureOf(err: unknown): ApplicationFailure {
  const f = toLarkFailure(err);
  assert.ok(f instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return f;
}
