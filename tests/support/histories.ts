// Workflow histories to and from the JSON form the Temporal tools write (and Worker.runReplayHistories
// reads). `historyToJSON` / `historyFromJSON` of @temporalio/common fail in this install ("type must
// be a Type"): npm put a copy of protobufjs under @temporalio/common and another under @temporalio/proto,
// and the common one's protojson does not recognise the other's message types. So the conversion runs
// here on @temporalio/proto's own copy of protobufjs, which built the History type.
import { createRequire } from 'node:module';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, opts?: { ignoreUnknownFields?: boolean }): unknown;
}

const fromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const proto = fromProto('@temporalio/proto') as typeof import('@temporalio/proto');
const { patchProtobufRoot } = fromProto('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot: <T>(root: T) => T & { lookupType(name: string): unknown };
};
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

/** A fetched history as pretty JSON text (the format of `temporal workflow show --output json`). */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** A history from that JSON (parsed), ready for Worker.runReplayHistories. */
export function historyFromJSON(json: unknown): History {
  const h = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!h) throw new TypeError('not a workflow history');
  return h as History;
}
