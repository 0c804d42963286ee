import { OfflineEdgeError } from "../../core/errors.ts";

/** Why a frame read from a data channel was refused. */
export type RefusedReason =
  /** Not JSON, not the wire format, or of another version. */
  | "malformed"
  /** Its sender (the frame's `from`, or the stanza's `from`) is not the peer the channel belongs to. */
  | "spoofed"
  /** Addressed to someone other than us. */
  | "misaddressed";

/**
 * A frame from a data channel was refused: nothing it carried was handed
 * on, acked or counted as presence. `peer` is the bare JID the channel
 * belongs to (who its signalling said is at the other end).
 */
export class FrameRefusedError extends OfflineEdgeError {
  constructor(
    readonly peer: string,
    readonly reason: RefusedReason,
    message: string,
  ) {
    super("refused-frame", `Frame from ${peer} refused (${reason}): ${message}`);
    this.name = "FrameRefusedError";
  }
}
