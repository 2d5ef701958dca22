// Gateway for action_setting: small key/value rows shared by every instance
// (the generated secret key, its check value).
import type { Executor } from './base.js';

export async function getSetting(k: Executor, key: string): Promise<string | undefined> {
  const row = (await k('action_setting').where({ key }).first('value')) as { value: string } | undefined;
  return row?.value;
}

/** Inserts the value unless the key exists, then returns what is stored: concurrent instances all read the winner. */
export async function insertSettingIfAbsent(k: Executor, key: string, value: string, now: number): Promise<string> {
  await k('action_setting').insert({ key, value, updated: now }).onConflict('key').ignore();
  return (await getSetting(k, key))!;
}

export async function putSetting(k: Executor, key: string, value: string, now: number): Promise<void> {
  await k('action_setting').insert({ key, value, updated: now }).onConflict('key').merge({ value, updated: now });
}

export async function deleteSetting(k: Executor, key: string): Promise<void> {
  await k('action_setting').where({ key }).delete();
}
