/** Escapes text for a lark_md block so model- or user-supplied text cannot add markup, links or mentions. */
export function escapeLarkMd(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\*_~`[\]()#|])/g, '\\$1');
}
