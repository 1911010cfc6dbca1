/** Each user's language (migrations/006_user_languages.sql): the last one their messages said confidently. */
import type { Pool } from '../db/pool';
import type { Lang } from '../i18n/language';

export class UserLanguageStore {
  constructor(private readonly pool: Pool) {}

  async languageOf(openId: string): Promise<Lang | undefined> {
    const { rows } = await this.pool.query<{ lang: string }>('select lang from user_languages where open_id = $1', [openId]);
    const lang = rows[0]?.lang;
    return lang === 'vi' || lang === 'en' ? lang : undefined;
  }

  async setLanguage(openId: string, lang: Lang): Promise<void> {
    await this.pool.query(
      'insert into user_languages (open_id, lang) values ($1, $2) on conflict (open_id) do update set lang = excluded.lang, updated_at = now() where user_languages.lang <> excluded.lang',
      [openId, lang],
    );
  }
}
