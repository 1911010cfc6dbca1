/**
 * Histories as committed files. The SDK's historyToJSON fails under the protobufjs its package resolves here
 * ("type must be a Type"), so a file holds protobufjs's own object form of the History message (enums by
 * name, 64-bit numbers and bytes as strings), which `fromObject` reads back into the same message.
 */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryType = temporal.api.history.v1.History;

export function historyToObject(history: History): Record<string, unknown> {
  return HistoryType.toObject(HistoryType.fromObject(history as Record<string, unknown>), { enums: String, longs: String, bytes: String, defaults: false });
}

export function historyFromObject(obj: unknown): temporal.api.history.v1.History {
  return HistoryType.fromObject(obj as Record<string, unknown>);
}
