import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import {
  isTokenRejection,
  LarkApiError,
  type LarkApiErrorInit,
  LarkFailureType,
  type LarkFailureDetails,
  LarkRequestInvalid,
  LarkTransportError,
  LarkUserAuthRequired,
  NON_RETRYABLE_LARK_FAILURES,
  readLarkFailure,
  toLarkFailure,
} from '../src/lark/errors';
import { larkFailureOf } from './support/failures';

function apiError(init: Partial<LarkApiErrorInit> & { code: number }): LarkApiError {
  return new LarkApiError({ msg: 'lark says no', httpStatus: 400, api: 'POST /open-apis/im/v1/messages', ...init });
}

const detailsOf = (f: ApplicationFailure) => f.details?.[0] as LarkFailureDetails;

describe('rate limits', () => {
  const cases: Array<[string, Partial<LarkApiErrorInit> & { code: number }]> = [
    ['HTTP 429 + 99991400', { code: 99991400, httpStatus: 429 }],
    ['99991400 on an old API answering 400', { code: 99991400, httpStatus: 400 }],
    ['Base 1254290 on HTTP 200', { code: 1254290, httpStatus: 200, api: 'POST /open-apis/bitable/v1/apps/a/tables/t/records/batch_create' }],
    ['IM 230020', { code: 230020, httpStatus: 400 }],
    ['Calendar 190004', { code: 190004, httpStatus: 429 }],
    ['Calendar 190005', { code: 190005, httpStatus: 429 }],
    ['Calendar 190010', { code: 190010, httpStatus: 429 }],
    ['any code with HTTP 429', { code: 12345, httpStatus: 429 }],
  ];
  for (const [name, init] of cases) {
    it(`${name} -> LarkRateLimited, retryable`, () => {
      const f = larkFailureOf(apiError(init));
      assert.equal(f.type, LarkFailureType.RateLimited);
      assert.equal(f.nonRetryable, false);
    });
  }

  it('takes nextRetryDelay from x-ogw-ratelimit-reset seconds', () => {
    const f = larkFailureOf(apiError({ code: 99991400, httpStatus: 429, rateLimitResetSeconds: 7 }));
    assert.equal(f.nextRetryDelay, 7000);
    assert.equal(detailsOf(f).retryAfterSeconds, 7);
    const g = larkFailureOf(apiError({ code: 1254290, httpStatus: 200, rateLimitResetSeconds: 42 }));
    assert.equal(g.nextRetryDelay, 42_000);
  });

  it('waits at least a second on a zero reset, and leaves the delay to the policy without a header', () => {
    assert.equal(larkFailureOf(apiError({ code: 99991400, httpStatus: 429, rateLimitResetSeconds: 0 })).nextRetryDelay, 1000);
    const f = larkFailureOf(apiError({ code: 99991400, httpStatus: 429 }));
    assert.equal(f.nextRetryDelay, undefined);
    assert.equal(detailsOf(f).retryAfterSeconds, undefined);
  });
});

describe('tokens', () => {
  for (const code of [99991663, 99991668, 99991677]) {
    it(`${code} is a token rejection, then LarkTokenInvalid (not retryable)`, () => {
      const err = apiError({ code, httpStatus: 400, tokenKind: code === 99991668 ? 'user' : 'tenant' });
      assert.equal(isTokenRejection(err), true);
      const f = larkFailureOf(err);
      assert.equal(f.type, LarkFailureType.TokenInvalid);
      assert.equal(f.nonRetryable, true);
      assert.equal(f.nextRetryDelay, undefined);
    });
  }

  it('bad app credentials and token endpoint errors are LarkTokenInvalid', () => {
    assert.equal(larkFailureOf(apiError({ code: 99991543 })).type, LarkFailureType.TokenInvalid);
    const f = larkFailureOf(apiError({ code: 10014, httpStatus: 400, api: 'POST /open-apis/auth/v3/tenant_access_token/internal', tokenKind: 'tenant' }));
    assert.equal(f.type, LarkFailureType.TokenInvalid);
    assert.match(f.message, /LARK_APP_ID/);
  });

  it('reads the seed\'s 99991672 "token expired" as a token rejection', () => {
    const err = apiError({ code: 99991672, msg: 'token expired', tokenKind: 'user', openId: 'ou_1' });
    assert.equal(isTokenRejection(err), true);
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.TokenInvalid);
    assert.equal(detailsOf(f).openId, 'ou_1');
    assert.match(f.message, /authorize again/);
  });

  it('a provider with no authorization -> LarkUserAuthRequired', () => {
    const f = larkFailureOf(new LarkUserAuthRequired('ou_9', 'never authorized'));
    assert.equal(f.type, LarkFailureType.UserAuthRequired);
    assert.equal(f.nonRetryable, true);
    assert.deepEqual(detailsOf(f), { tokenKind: 'user', openId: 'ou_9' });
  });
});

describe('permissions', () => {
  it('99991672 (official) -> app scope missing, scopes and grant link from the msg', () => {
    const msg =
      'Access denied. One of the following scopes is required: [calendar:calendar, calendar:calendar:readonly].' +
      ' 应用尚未开通所需的应用身份权限，点击链接申请：https://open.larksuite.com/app/cli_a1/auth?q=calendar:calendar&op_from=openapi';
    const err = apiError({ code: 99991672, msg, api: 'GET /open-apis/calendar/v4/calendars', logId: 'log-1' });
    assert.equal(isTokenRejection(err), false);
    const f = larkFailureOf(err);
    assert.equal(f.type, LarkFailureType.PermissionDenied);
    assert.equal(f.nonRetryable, true);
    const d = detailsOf(f);
    assert.equal(d.scopeOwner, 'app');
    assert.deepEqual(d.scopes, ['calendar:calendar', 'calendar:calendar:readonly']);
    assert.equal(d.grantUrl, 'https://open.larksuite.com/app/cli_a1/auth?q=calendar:calendar&op_from=openapi');
    assert.equal(d.logId, 'log-1');
    assert.match(f.message, /admin/);
  });

  it('99991679 -> user scope missing, scopes from permission_violations', () => {
    const f = larkFailureOf(apiError({ code: 99991679, msg: 'Unauthorized', permissionViolations: ['task:task:write', 'task:task:read'], tokenKind: 'user' }));
    assert.equal(f.type, LarkFailureType.PermissionDenied);
    assert.equal(detailsOf(f).scopeOwner, 'user');
    assert.deepEqual(detailsOf(f).scopes, ['task:task:write', 'task:task:read']);
    assert.match(f.message, /task:task:write, task:task:read/);
  });
});

describe('client errors, conflicts and outages', () => {
  it('191001 -> LarkInvalidInput saying how to get a real calendar id', () => {
    const f = larkFailureOf(apiError({ code: 191001, api: 'GET /open-apis/calendar/v4/calendars/primary/events' }));
    assert.equal(f.type, LarkFailureType.InvalidInput);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /primaryCalendar/);
  });

  it('VC rooms: 121004 / 121005 are refusals naming the room; 121001 on HTTP 200 is an outage', () => {
    const gone = larkFailureOf(apiError({ code: 121004, httpStatus: 404, api: 'GET /open-apis/vc/v1/rooms/omm_x' }));
    assert.equal(gone.type, LarkFailureType.InvalidInput);
    assert.match(gone.message, /No such meeting room/);
    assert.match(
      larkFailureOf(apiError({ code: 121005, httpStatus: 404, api: 'GET /open-apis/vc/v1/rooms/omm_x' })).message,
      /No permission for this meeting room/,
    );
    const down = larkFailureOf(apiError({ code: 121001, httpStatus: 200, api: 'GET /open-apis/vc/v1/rooms' }));
    assert.equal(down.type, LarkFailureType.Unavailable);
    assert.equal(down.nonRetryable, false);
  });

  it('230001 reads as a task id on Task APIs and as a message problem on IM', () => {
    const task = larkFailureOf(apiError({ code: 230001, api: 'GET /open-apis/task/v2/tasks/x' }));
    const im = larkFailureOf(apiError({ code: 230001, api: 'POST /open-apis/im/v1/messages' }));
    assert.equal(task.type, LarkFailureType.InvalidInput);
    assert.equal(im.type, LarkFailureType.InvalidInput);
    assert.match(task.message, /task id/i);
    assert.doesNotMatch(im.message, /task id/i);
  });

  it('unknown 4xx codes and business errors on HTTP 200 are not retried', () => {
    for (const [code, httpStatus] of [
      [99992402, 400],
      [1470400, 404],
      [232001, 200],
    ] as const) {
      const f = larkFailureOf(apiError({ code, httpStatus }));
      assert.equal(f.type, LarkFailureType.InvalidInput);
      assert.equal(f.nonRetryable, true);
    }
  });

  it('1254291 -> LarkWriteConflict, retryable with the policy backoff', () => {
    const f = larkFailureOf(apiError({ code: 1254291, httpStatus: 200 }));
    assert.equal(f.type, LarkFailureType.WriteConflict);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, undefined);
  });

  it('5xx, "data not ready" and transport errors -> LarkUnavailable, retryable', () => {
    for (const err of [
      apiError({ code: 500, httpStatus: 503 }),
      apiError({ code: 1254607, httpStatus: 200 }),
      new LarkTransportError('timeout', 'GET /open-apis/x', 'no answer in 10000 ms'),
      new LarkTransportError('network', 'GET /open-apis/x', 'ECONNREFUSED'),
    ]) {
      const f = larkFailureOf(err);
      assert.equal(f.type, LarkFailureType.Unavailable);
      assert.equal(f.nonRetryable, false);
    }
  });

  it('client-side refusals are LarkInvalidInput', () => {
    const f = larkFailureOf(new LarkRequestInvalid('uuid longer than 50', 'POST /open-apis/im/v1/messages'));
    assert.equal(f.type, LarkFailureType.InvalidInput);
    assert.equal(f.nonRetryable, true);
  });

  it('the non-retryable list matches what the mapping marks non-retryable', () => {
    assert.deepEqual(
      [...NON_RETRYABLE_LARK_FAILURES].sort(),
      [LarkFailureType.InvalidInput, LarkFailureType.PermissionDenied, LarkFailureType.TokenInvalid, LarkFailureType.UserAuthRequired].sort(),
    );
  });
});

describe('logid and secrets', () => {
  it('keeps the logid in details and message; never a token', () => {
    const token = 't-g1044ghJRUIJJ5ELPDCC5HKGMYCCB4GEJ5ZLUVQKG';
    const err = apiError({
      code: 99991663,
      msg: `Invalid access token for authorization. Bearer ${token} please check`,
      logId: '20261122150000ABCDEF',
      tokenKind: 'tenant',
    });
    const f = larkFailureOf(err);
    assert.equal(detailsOf(f).logId, '20261122150000ABCDEF');
    assert.match(f.message, /20261122150000ABCDEF/);
    const everything = JSON.stringify({ m: f.message, d: f.details, e: err.message });
    assert.ok(!everything.includes(token), everything);
    assert.ok(!everything.includes('g1044ghJRUIJJ5'), everything);
  });
});

describe('pass-through and reading back', () => {
  it('leaves Temporal failures and unknown errors alone', () => {
    const cancelled = new CancelledFailure('cancelled');
    assert.equal(toLarkFailure(cancelled), cancelled);
    const app = ApplicationFailure.nonRetryable('mine', 'Mine');
    assert.equal(toLarkFailure(app), app);
    const bug = new TypeError('x is undefined');
    assert.equal(toLarkFailure(bug), bug);
  });

  it('readLarkFailure finds the Lark failure inside an ActivityFailure', () => {
    const app = larkFailureOf(apiError({ code: 99991679, permissionViolations: ['calendar:calendar'] }));
    const wrapped = new ActivityFailure('activity failed', 'createCalendarEvent', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', app);
    const info = readLarkFailure(wrapped);
    assert.ok(info);
    assert.equal(info.type, LarkFailureType.PermissionDenied);
    assert.deepEqual(info.details.scopes, ['calendar:calendar']);
    assert.equal(readLarkFailure(new ActivityFailure('x', 'a', '1', RetryState.TIMEOUT, 'w', new Error('other'))), undefined);
  });
});
