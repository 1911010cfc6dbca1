/**
 * Custom search attributes, registered at dev-server start (`--search-attribute`) and on a cluster with
 * `temporal operator search-attribute create`. They are never encrypted by a payload codec: ids only, no content.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LarkOpenId = defineSearchAttributeKey('LarkOpenId', SearchAttributeType.KEYWORD);
export const LarkChatId = defineSearchAttributeKey('LarkChatId', SearchAttributeType.KEYWORD);
export const LarkEventType = defineSearchAttributeKey('LarkEventType', SearchAttributeType.KEYWORD);
export const AgentState = defineSearchAttributeKey('AgentState', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [LarkOpenId, LarkChatId, LarkEventType, AgentState];

/** `NAME=Type` pairs as the Temporal CLI takes them. */
export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}
