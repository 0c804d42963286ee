import { xml, type Element } from "@xmpp/xml";
import { NS } from "../../core/namespaces.ts";

// XEP-0184 Message Delivery Receipts.

/** Whether a received message asks for a receipt we may answer (it has an id, and is neither an error nor groupchat). */
export function owesReceipt(message: Element): boolean {
  const type = message.attrs.type;
  return (
    !!message.attrs.id &&
    !!message.attrs.from &&
    type !== "error" &&
    type !== "groupchat" &&
    message.getChild("request", NS.receipts) !== undefined
  );
}

/** The `<received/>` answer to a message that asked for a receipt. */
export function receiptFor(message: Element, id: string): Element {
  return xml("message", { to: message.attrs.from, id }, xml("received", { xmlns: NS.receipts, id: message.attrs.id }));
}

/** The id a `<received/>` in this message acknowledges, if any. */
export function receivedId(message: Element): string | undefined {
  return message.getChild("received", NS.receipts)?.attrs.id || undefined;
}
