/** Confirm / Cancel cards for outward-facing or destructive actions. Pure: workflow code builds them. */

export interface ConfirmValue {
  kind: 'confirm';
  key: string;
  decision: 'confirm' | 'cancel';
}

export function confirmCard(key: string, question: string): Record<string, unknown> {
  const button = (decision: ConfirmValue['decision'], label: string, type: string) => ({
    tag: 'button',
    type,
    text: { tag: 'plain_text', content: label },
    value: { kind: 'confirm', key, decision } satisfies ConfirmValue,
  });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'orange', title: { tag: 'plain_text', content: 'Xác nhận / Please confirm' } },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: question } },
      { tag: 'action', actions: [button('confirm', 'Xác nhận / Confirm', 'primary'), button('cancel', 'Huỷ / Cancel', 'default')] },
    ],
  };
}

export function resolvedCard(question: string, outcome: 'confirm' | 'cancel' | 'expired'): Record<string, unknown> {
  const label = { confirm: '✅ Đã xác nhận / Confirmed', cancel: '❌ Đã huỷ / Cancelled', expired: '⌛ Hết hạn / Expired' }[outcome];
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: outcome === 'confirm' ? 'green' : 'grey', title: { tag: 'plain_text', content: label } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: question } }],
  };
}
