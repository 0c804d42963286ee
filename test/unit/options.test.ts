// The one option checker (src/core/options.ts), as every constructor uses it: a bad
// option is refused at once with an InvalidOptionError that names it.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/core/errors.ts";
import { createOfflineStore } from "../../src/client/create.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { DrainEngine } from "../../src/messaging/drain/engine.ts";
import { XmppRelay } from "../../src/relay/xmpp/relay.ts";
import { createXmppRelay } from "../../src/relay/xmpp/create.ts";
import { WebRtcRelay } from "../../src/relay/webrtc/relay.ts";
import type { XmppClientLike } from "../../src/relay/xmpp/types.ts";
import { FakeRelay, storeApi } from "./relay-helpers.ts";

const offlineClient = () => Object.assign(new EventEmitter(), { status: "offline", send: async () => undefined }) as unknown as XmppClientLike;
const drain = (o: object) => new DrainEngine({ store: storeApi(new MemoryBackend()), relay: new FakeRelay(), ...o });
const xmpp = (o: object) => new XmppRelay(offlineClient(), o);
const webrtc = (o: object) => new WebRtcRelay({ self: "alice@mesh.local", ...o });

const refused: Array<[string, () => unknown]> = [
  ["batchSize", () => drain({ batchSize: 0 })],
  ["window", () => drain({ window: 1.5 })],
  ["retryMs", () => drain({ retryMs: -1 })],
  ["confirmTimeoutMs", () => xmpp({ confirmTimeoutMs: 0 })],
  ["discoTimeoutMs", () => xmpp({ discoTimeoutMs: Number.NaN })],
  ["graceMs", () => xmpp({ graceMs: -1 })],
  ["receiptTimeoutMs", () => xmpp({ receiptTimeoutMs: Infinity })],
  ["lateBounceWindowMs", () => xmpp({ lateBounceWindowMs: "15m" })],
  ["lateBounceMaxEntries", () => xmpp({ lateBounceMaxEntries: 2.5 })],
  ["capsCache", () => xmpp({ capsCache: { get: () => undefined } })],
  ["heartbeatMs", () => webrtc({ heartbeatMs: 1 })],
  ["missedBeats", () => webrtc({ missedBeats: 0 })],
  ["ackTimeoutMs", () => webrtc({ ackTimeoutMs: 0 })],
  ["maxStanzaBytes", () => webrtc({ maxStanzaBytes: 0.5 })],
];

describe("options", () => {
  it.each(refused)("%s out of range: InvalidOptionError naming it", (name, make) => {
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(name);
  });

  it("defaults and in-range values are taken", async () => {
    expect(() => drain({ batchSize: 1, window: 1, retryMs: 0 })).not.toThrow();
    expect(() => xmpp({ graceMs: 0, discoTimeoutMs: 0, lateBounceMaxEntries: 0 })).not.toThrow();
    expect(() => xmpp({ capsCache: null })).not.toThrow();
    expect(() => xmpp({ capsCache: { get: () => undefined, set: () => undefined } })).not.toThrow();
    await webrtc({}).close();
  });

  it("createXmppRelay and createOfflineStore refuse a bad option before any connection or registration", async () => {
    const account = { service: "xmpp://127.0.0.1:1", jid: "alice@localhost", password: "x" };
    await expect(createXmppRelay({ ...account, priority: 128 })).rejects.toThrow(/priority/);
    await expect(createXmppRelay({ ...account, startTimeoutMs: 0 })).rejects.toThrow(InvalidOptionError);
    await expect(createOfflineStore({ timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(createOfflineStore({ activationTimeoutMs: -5 })).rejects.toThrow(InvalidOptionError);
    await expect(createOfflineStore({ prefer: "sometimes" as "auto" })).rejects.toThrow(/prefer/);
  });
});
