/**
 * The streamed answer card (CardKit card entity, card JSON 2.0): a status line ("⏳ checking your calendar…")
 * that merges today's status message into the answer, and the answer's markdown element that the model step
 * streams into. When the turn ends, the whole card is replaced by the final text with its ✅/❌ footer, and
 * streaming is off. Pure: workflow code builds these. All text is escaped (it shows as typed, never as markup).
 */
import { escapeLarkMd } from './lark-md';

export const ANSWER_ELEMENT_ID = 'answer';
export const STATUS_ELEMENT_ID = 'status';

/** Lark's per-element content limit (1..100000 characters). */
const ELEMENT_LIMIT = 100_000;

/** What a markdown element shows for `text` (escaped, never empty, within Lark's limit). */
export function answerMarkdown(text: string): string {
  const md = escapeLarkMd(text);
  return (md.length > ELEMENT_LIMIT ? `${md.slice(0, ELEMENT_LIMIT - 1)}…` : md) || ' ';
}

/** The card as created: streaming on, the status line (already escaped by statusText) and an empty answer. */
export function streamingAnswerCard(statusLine: string): Record<string, unknown> {
  return {
    schema: '2.0',
    config: {
      streaming_mode: true,
      update_multi: true,
      summary: { content: statusLine.replace(/&#\d+;/g, '') },
      streaming_config: { print_frequency_ms: { default: 30 }, print_step: { default: 2 }, print_strategy: 'fast' },
    },
    body: {
      elements: [
        { tag: 'markdown', element_id: STATUS_ELEMENT_ID, content: statusLine || ' ', text_size: 'notation' },
        { tag: 'markdown', element_id: ANSWER_ELEMENT_ID, content: ' ' },
      ],
    },
  };
}

/** The card when the turn ends: exactly the answer the history holds (text and footer), streaming off. */
export function finalAnswerCard(text: string, note?: string): Record<string, unknown> {
  const summary = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  return {
    schema: '2.0',
    config: { streaming_mode: false, update_multi: true, summary: { content: summary } },
    body: {
      elements: [
        { tag: 'markdown', element_id: ANSWER_ELEMENT_ID, content: answerMarkdown(text) },
        ...(note ? [{ tag: 'markdown', element_id: STATUS_ELEMENT_ID, content: note, text_size: 'notation' }] : []),
      ],
    },
  };
}
