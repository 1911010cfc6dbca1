/**
 * The people family's activities: find_person, and the directory lookup the calendar and task tools resolve the
 * names they are given with (as the user).
 */
import { classifyLarkError } from '../../src/lark/errors';
import type { LarkClient } from '../../src/lark/client';
import type { PeopleInputs } from '../../src/tools/people/spec';
import { ToolInputError } from '../tool-results';
import { fold, type Handlers } from './shared';

export type ResolvePeople = (openId: string, people: string[]) => Promise<Array<{ query: string; openId: string; name?: string }>>;

export function createPeopleTools(client: LarkClient): { resolvePeople: ResolvePeople; handlers: Handlers<PeopleInputs> } {
  /** Names or e-mails to open_ids; ambiguity or no match is an error the model relays or asks about. */
  async function resolvePeople(openId: string, people: string[]): Promise<Array<{ query: string; openId: string; name?: string }>> {
    const out: Array<{ query: string; openId: string; name?: string }> = [];
    for (const query of people) {
      // An open_id (e.g. from find_time's attendees, when a slot is booked) is checked in the directory, not searched.
      if (/^ou_[0-9a-z]+$/i.test(query)) {
        const user = await client.getUser(query).catch((err) => {
          const c = classifyLarkError(err);
          if (c && !c.retryable) throw new ToolInputError(`Nobody in the directory has the id ${query}.`);
          throw err;
        });
        out.push({ query, openId: query, ...(user.name ? { name: user.name } : {}) });
        continue;
      }
      if (query.includes('@')) {
        const [match] = await client.batchGetIdByEmailOrMobile({ emails: [query] });
        if (!match?.user_id) throw new ToolInputError(`Nobody in the directory has the e-mail ${query}.`);
        out.push({ query, openId: match.user_id });
        continue;
      }
      const found = (await client.searchUsers(openId, query, { pageSize: 5 })).items.filter((u) => u.open_id);
      if (found.length === 0) throw new ToolInputError(`Nobody named "${query}" was found in the directory. Ask the user for the e-mail address.`);
      const exact = found.filter(
        (u) =>
          fold(u.name ?? '') === fold(query) ||
          fold(u.name ?? '')
            .split(' ')
            .includes(fold(query)),
      );
      const pick = exact.length === 1 ? exact[0]! : found.length === 1 ? found[0]! : undefined;
      if (!pick) {
        throw new ToolInputError(`"${query}" matches several people: ${found.map((u) => u.name).join(', ')}. Ask the user which one.`);
      }
      out.push({ query, openId: pick.open_id!, name: pick.name });
    }
    return out;
  }

  const handlers: Handlers<PeopleInputs> = {
    async find_person(input, ctx) {
      const page = await client.searchUsers(ctx.openId, input.query, { pageSize: 5 });
      return { people: page.items.map((u) => ({ name: u.name, open_id: u.open_id })) };
    },
  };
  return { resolvePeople, handlers };
}
