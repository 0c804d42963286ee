// XEP-0115 verification strings (src/relay/xmpp/caps-ver.ts), against the
// XEP's own examples and against StanzaJS's implementation, which we did not write.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createRequire } from "node:module";
import { xml, type Element } from "@xmpp/xml";
import { capsInput, capsVer } from "../../src/relay/xmpp/caps-ver.ts";

const stanzaCaps = createRequire(import.meta.url)("stanza/helpers/LegacyEntityCapabilities") as {
  generate(info: object, hash: string): string | null;
};

const DISCO = "http://jabber.org/protocol/disco#info";
interface Identity {
  category: string;
  type: string;
  lang?: string;
  name?: string;
}
interface Form {
  type: string;
  fields: Array<{ name: string; values: string[] }>;
}

function query(identities: Identity[], features: string[], forms: Form[] = []): Element {
  return xml(
    "query",
    { xmlns: DISCO },
    ...identities.map((i) => xml("identity", { category: i.category, type: i.type, ...(i.lang && { "xml:lang": i.lang }), ...(i.name && { name: i.name }) })),
    ...features.map((f) => xml("feature", { var: f })),
    ...forms.map((f) =>
      xml(
        "x",
        { xmlns: "jabber:x:data", type: "result" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, f.type)),
        ...f.fields.map((field) => xml("field", { var: field.name }, ...field.values.map((v) => xml("value", {}, v)))),
      ),
    ),
  );
}

/** The same disco#info as StanzaJS models it. */
const stanzaInfo = (identities: Identity[], features: string[], forms: Form[] = []) => ({
  identities,
  features,
  extensions: forms.map((f) => ({ fields: [{ name: "FORM_TYPE", type: "hidden", value: f.type }, ...f.fields.map((x) => ({ name: x.name, rawValues: x.values }))] })),
});

const FEATURES = ["http://jabber.org/protocol/caps", DISCO, "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"];

describe("XEP-0115 verification string", () => {
  it("gives the XEP's simple example (§5.2)", async () => {
    const q = query([{ category: "client", type: "pc", name: "Exodus 0.9.1" }], [...FEATURES].reverse());
    expect(capsInput(q)).toBe(`client/pc//Exodus 0.9.1<${FEATURES.join("<")}<`);
    expect(await capsVer(q)).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("gives the XEP's complex example (§5.3): two languages, a form with sorted fields and values", async () => {
    const q = query(
      [
        { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
        { category: "client", type: "pc", lang: "el", name: "Ψ 0.11" },
      ],
      FEATURES,
      [
        {
          type: "urn:xmpp:dataforms:softwareinfo",
          fields: [
            { name: "ip_version", values: ["ipv6", "ipv4"] },
            { name: "os", values: ["Mac"] },
            { name: "os_version", values: ["10.5.1"] },
            { name: "software", values: ["Psi"] },
            { name: "software_version", values: ["0.11"] },
          ],
        },
      ],
    );
    expect(await capsVer(q)).toBe("q07IKJEyjvHSyhy//CH0CxmKi8w=");
  });

  it("refuses an answer with a repeated feature, identity or form type (§5.4)", async () => {
    expect(await capsVer(query([{ category: "client", type: "pc" }], [DISCO, DISCO]))).toBeNull();
    expect(capsInput(query([{ category: "client", type: "pc" }, { category: "client", type: "pc" }], [DISCO]))).toBeNull();
    const form: Form = { type: "urn:x", fields: [] };
    expect(capsInput(query([{ category: "client", type: "pc" }], [DISCO], [form, form]))).toBeNull();
  });

  it("leaves out of the hash a form whose FORM_TYPE is missing, not hidden, or not one value (§5.4), but keeps the answer", async () => {
    const plain = query([{ category: "client", type: "pc" }], [DISCO]);
    const withForms = query([{ category: "client", type: "pc" }], [DISCO]);
    const form = (type: Record<string, string> | null, values: string[]) =>
      xml("x", { xmlns: "jabber:x:data", type: "result" }, ...(type ? [xml("field", type, ...values.map((v) => xml("value", {}, v)))] : []), xml("field", { var: "os" }, xml("value", {}, "Mac")));
    withForms.append(form(null, []));
    withForms.append(form({ var: "FORM_TYPE" }, ["urn:x:shown"]));
    withForms.append(form({ var: "FORM_TYPE", type: "hidden" }, ["urn:x:a", "urn:x:b"]));
    expect(capsInput(withForms)).toBe(capsInput(plain));
    withForms.append(form({ var: "FORM_TYPE", type: "hidden" }, ["urn:x:ok"]));
    expect(capsInput(withForms)).toBe(`${capsInput(plain)}urn:x:ok<os<Mac<`);
  });

  it("agrees with StanzaJS on any identities, features and forms (octet order, escaped '<', non-ASCII)", async () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "Z", "<", "/", "é", "Ψ", "😀", " ", "1"), minLength: 1, maxLength: 6 });
    const identity = fc.record({ category: text, type: text, lang: fc.option(text, { nil: undefined }), name: fc.option(text, { nil: undefined }) });
    const form = fc.record({ type: text, fields: fc.uniqueArray(fc.record({ name: text, values: fc.array(text, { maxLength: 3 }) }), { selector: (f) => f.name, maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(identity, { selector: (i) => [i.category, i.type, i.lang ?? "", i.name ?? ""].join("/"), minLength: 1, maxLength: 3 }),
        fc.uniqueArray(text, { maxLength: 5 }),
        fc.uniqueArray(form, { selector: (f) => f.type, maxLength: 2 }),
        async (identities, features, forms) => {
          const fields = forms.every((f) => f.fields.every((x) => x.name !== "FORM_TYPE"));
          fc.pre(fields);
          expect(await capsVer(query(identities, features, forms))).toBe(stanzaCaps.generate(stanzaInfo(identities, features, forms), "sha-1"));
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });
});
