// The Relay contract (relay-contract.ts) against the mesh relay.
import { beforeAll } from "vitest";
import { relayContract } from "./relay-contract.ts";
import { channelName, meshTab } from "./relay-helpers.ts";

let channel = channelName();
relayContract("mesh", () => ({
  alice: "alice@mesh.local",
  bob: "bob@mesh.local",
  nobody: "nobody@mesh.local",
  open: async (user) => meshTab(channel, user),
}));
beforeAll(() => void (channel = channelName()));
