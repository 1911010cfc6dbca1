/** escapeLarkMd: model- or user-supplied text shows as typed in a lark_md card, never as markup. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeLarkMd, escapeLarkMdLine } from '../src/cards/lark-md';
import { larkTextToHtml } from '../dev/emulator/lark-markdown';

/** What Lark shows for escaped text: the numeric entities decoded back to characters. */
const shown = (md: string) => md.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

/** A character lark_md treats as syntax, once the entities we wrote are taken out. */
const RAW_SYNTAX = /[<>*_~`[\]()#+\-!\\/:"'$|{}=@&]/;
const rawOf = (md: string) => md.replace(/&#\d+;/g, '');

const attacks: Array<[string, string]> = [
  ['mention everyone', '<at id=all></at> urgent'],
  ['mention by open_id', 'hi <at id=ou_123abc></at>'],
  ['mention by email', '<at email=boss@example.com></at>'],
  ['html link', "<a href='https://evil.example'>Calendar</a>"],
  ['markdown link', '[Open your calendar](https://evil.example/phish)'],
  ['image', '![x](img_v2_key)'],
  ['link with icon', "<link icon='chat_outlined' url='https://evil.example'>x</link>"],
  ['coloured text', "<font color='red'>Deleted!</font>"],
  ['tag', "<text_tag color='red'>Admin</text_tag>"],
  ['person', "<person id='ou_x'></person>"],
  ['bold and italic', '**Confirm** *now*'],
  ['underscore bold', '__bold__ _it_'],
  ['strike', '~~Cancel~~'],
  ['emoji code', ':DONE: ok'],
  ['code span and fence', '`x` ```js\nalert(1)\n```'],
  ['heading and list at line start', '# Title\n- item\n+ item\n1. first\n---\n> quote'],
  ['backslash escapes', '\\*not bold\\* \\<at id=all\\>'],
  ['entities typed by the user', '&#60;at id=all&#62; &lt;b&gt;'],
  ['bare url', 'https://evil.example/login'],
  ['variable link', '[x]($urlVal)'],
];

for (const [name, text] of attacks) {
  test(`neutralizes: ${name}`, () => {
    const md = escapeLarkMd(text);
    assert.doesNotMatch(rawOf(md), RAW_SYNTAX, `raw syntax left in ${JSON.stringify(md)}`);
    assert.equal(shown(md), text, 'the user sees exactly what was typed');
  });
}

test('plain words, Vietnamese and emoji pass unchanged', () => {
  for (const t of ['Họp với Lan lúc 3 giờ chiều', 'Budget review', '会议 😀']) assert.equal(escapeLarkMd(t), t);
});

test('line breaks are kept; CRLF and tabs normalized; control and bidi characters removed', () => {
  assert.equal(escapeLarkMd('a\r\nb\tc'), 'a\nb c');
  assert.equal(escapeLarkMd('pay\u202Eslx.exe\u0007'), 'payslx&#46;exe');
});

test('an already escaped text is escaped again (shown literally, not double-decoded)', () => {
  const once = escapeLarkMd('*');
  assert.equal(once, '&#42;');
  assert.equal(escapeLarkMd(once), '&#38;&#35;42;');
  assert.equal(shown(shown(escapeLarkMd(once))), '*');
});

test('escapeLarkMdLine: one line, cut on characters (not inside an entity) with an ellipsis', () => {
  assert.equal(escapeLarkMdLine('Title\nwith <at id=all></at>'), 'Title with &#60;at id&#61;all&#62;&#60;&#47;at&#62;');
  const long = escapeLarkMdLine('*'.repeat(300), 10);
  assert.equal(long, '&#42;'.repeat(10) + '…');
  assert.equal(escapeLarkMdLine('ồồồ', 2), 'ồồ…');
});

test('the sandbox shows escaped card markdown as the text itself, never as markup (Lark decodes the entities)', () => {
  const typed = '(offline model) Room "Lotus" is booked: *not italic* [x](https://e.com) <at id=all></at> 15:00–16:00 & more.';
  const html = larkTextToHtml(escapeLarkMd(typed), { cardMarkdown: true });
  assert.equal(
    html,
    typed.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
  );
  assert.doesNotMatch(html, /<em>|<a |class="mention"/);
  // Unescaped card markdown is still markup, and a text message shows an entity as typed.
  assert.equal(larkTextToHtml('**bold** &#42;', { cardMarkdown: true }), '<strong>bold</strong> *');
  assert.equal(larkTextToHtml('&#42;'), '&#38;#42;');
});
