import type { Element } from "@xmpp/xml";

// XEP-0115 §5.1: the verification string of a disco#info answer, so a
// client's features can be remembered under its caps `ver` across sessions
// only when the answer really hashes to that `ver` (a peer cannot plant
// another client's features under its ver).

const NS_DATA = "jabber:x:data";
const encoder = new TextEncoder();

/** Sorts by UTF-8 octets (XEP-0115's "i;octet" collation), not by UTF-16 units. */
function octetSort(xs: string[]): string[] {
  const keyed = xs.map((x) => [x, encoder.encode(x)] as const);
  keyed.sort(([, a], [, b]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return keyed.map(([x]) => x);
}

/** Each string once, else null: §5.4 refuses an answer with a repeated identity, feature or form type. */
function unique(xs: string[]): string[] | null {
  return new Set(xs).size === xs.length ? xs : null;
}

const escape = (s: string) => s.replaceAll("<", "&lt;");
const valuesOf = (field: Element) => field.getChildren("value").map((v) => v.getText());

/** The identities, then the features, then each form: `<`-terminated, in §5.1's order. Null when ambiguous. */
function parts(query: Element): string[] | null {
  const identities = unique(
    query.getChildren("identity").map((i) => [i.attrs.category, i.attrs.type, i.attrs["xml:lang"], i.attrs.name].map((a) => a ?? "").join("/")),
  );
  const features = unique(query.getChildren("feature").map((f) => f.attrs.var ?? ""));
  const forms = new Map<string, Element>();
  for (const form of query.getChildren("x", NS_DATA)) {
    const type = form.getChildren("field").find((f) => f.attrs.var === "FORM_TYPE");
    // A form without a hidden FORM_TYPE is left out of the hash (§5.4), not the answer.
    if (!type || type.attrs.type !== "hidden" || valuesOf(type).length !== 1) continue;
    const name = escape(valuesOf(type)[0]!);
    if (forms.has(name)) return null;
    forms.set(name, form);
  }
  if (!identities || !features) return null;
  const out = [...octetSort(identities.map(escape)), ...octetSort(features.map(escape))];
  // Every string is escaped before it is sorted, as StanzaJS does (an order that differs only around '<').
  for (const name of octetSort([...forms.keys()])) {
    out.push(name);
    const fields = new Map(forms.get(name)!.getChildren("field").filter((f) => f.attrs.var !== "FORM_TYPE").map((f) => [escape(f.attrs.var ?? ""), f]));
    for (const v of octetSort([...fields.keys()])) out.push(v, ...octetSort(valuesOf(fields.get(v)!).map(escape)));
  }
  return out;
}

/** XEP-0115 §5.1's string S for a disco#info `<query/>`; null when §5.4 says not to trust it. */
export function capsInput(query: Element): string | null {
  const p = parts(query);
  return p && p.map((x) => `${x}<`).join("");
}

/** The `ver` (SHA-1, Base64) a disco#info `<query/>` hashes to; null when ambiguous or where WebCrypto is missing (insecure contexts). */
export async function capsVer(query: Element): Promise<string | null> {
  const input = capsInput(query);
  const subtle = globalThis.crypto?.subtle;
  if (input === null || !subtle) return null;
  const digest = new Uint8Array(await subtle.digest("SHA-1", encoder.encode(input)));
  return btoa(String.fromCharCode(...digest));
}
