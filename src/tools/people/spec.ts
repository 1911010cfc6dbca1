/**
 * The people family: the company directory. What the model reads of the tool and what the status card says.
 * Pure: workflow code imports it. Executing it (and resolving the names other families' tools are given) is
 * activities/tools/people.ts.
 */
import { object, text, type FamilyTools } from '../spec';

export interface PeopleInputs {
  find_person: { query: string };
}

export const PEOPLE_TOOLS: FamilyTools<PeopleInputs> = {
  find_person: {
    description: 'Find people in the company directory by name or email; returns their names, emails and ids.',
    input_schema: object({ query: text('A name, part of a name, or an email', 100) }, ['query']),
    summary: 'contacts: find person',
    writes: false,
    stage: () => ({ kind: 'people' }),
    readsOthersContent: true,
  },
};
