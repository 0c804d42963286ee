// Stanza ids: the one id helper of the package (core/id.ts), on
// crypto.getRandomValues, which also exists outside secure contexts.
export { randomId } from "../../core/id.ts";
