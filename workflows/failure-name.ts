/** The failure's type name for logs and details: never its message (a message may quote user content). */
export function failureName(err: unknown): string {
  let cur = err as { name?: string; type?: string; cause?: unknown } | undefined;
  let name = cur?.name ?? 'Error';
  for (let depth = 0; cur && depth < 5; depth++, cur = cur.cause as typeof cur) {
    if (cur.type) return cur.type;
    if (cur.name === 'TimeoutFailure') name = 'TimeoutFailure';
  }
  return name;
}
