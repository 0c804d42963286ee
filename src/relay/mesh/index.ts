/** The local mesh relay: tabs of one origin over a BroadcastChannel, with presence heartbeats and acknowledgements. */
export { MeshRelay, MESH_CHANNEL, type MeshOptions, type MeshStats } from "./relay.ts";
export type { GroupMembers } from "./groupchat.ts";
