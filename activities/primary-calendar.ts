/**
 * The user's primary calendar id: remembered in the token store (found once at sign-in), asked of Lark when
 * unknown. Lark has no "primary" alias in Calendar v4 paths: every call needs the real id.
 */
import { asUser, type LarkClient } from '../src/lark/client';
import type { UserTokenStore } from '../src/storage/token-store';

export function primaryCalendarLookup(client: LarkClient, tokens: UserTokenStore) {
  return async function primaryCalendar(openId: string): Promise<string> {
    const known = (await tokens.status(openId)).primaryCalendarId;
    if (known) return known;
    const cal = await client.primaryCalendar({ as: asUser(openId) });
    await tokens.setPrimaryCalendar(openId, cal.calendar_id);
    return cal.calendar_id;
  };
}
