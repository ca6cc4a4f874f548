import {
  EVENT_ID,
  type Event,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
} from "js-yaml";
import {
  Document,
  isScalar,
  type Node,
  Pair,
  Scalar,
  type ScalarTag,
  YAMLMap,
  YAMLSeq,
} from "yaml";

/**
 * A fast composer for the common case: js-yaml's event parser (offsets, scalar styles) builds the
 * same node tree `yaml`'s `parseDocument` would (same classes, `range[0]`, scalar `type` and
 * value), several times faster. It resolves plain scalars with `yaml`'s own core-schema tags, so
 * values match exactly.
 *
 * It gives up (returns `undefined`) whenever the document uses anything whose treatment it does
 * not reproduce exactly: syntax errors, duplicate or non-scalar keys, anchors, aliases, tags,
 * directives, several documents, empty values, or a block scalar header it cannot locate. The
 * caller then uses `parseDocument`, which reports errors with its own messages and positions.
 */

const { tags: CORE_TAGS, options: CORE_OPTIONS } = (() => {
  const doc = new Document();
  return { tags: doc.schema.tags, options: doc.options };
})();

const SCALAR_TAGS = CORE_TAGS.filter((tag): tag is ScalarTag => !tag.collection && !!tag.test);
const DEFAULT_TAGS = SCALAR_TAGS.filter((tag) => tag.default === true);
const KEY_TAGS = SCALAR_TAGS.filter((tag) => tag.default === true || tag.default === "key");

/** First characters of the core schema's null, bool, int and float forms. */
const MAYBE_NOT_STRING = /^[-+.~0-9nNtTfF]/;

class GiveUp extends Error {}
const GIVE_UP = new GiveUp();

/** A plain scalar's value under the core schema, exactly as `yaml` resolves it. */
function resolvePlain(source: string, atKey: boolean): Scalar {
  // Core-schema nulls, bools and numbers all start with one of these (or are empty): skip the
  // tag tests for the many plain scalars that are names, globs or commands.
  if (source !== "" && !MAYBE_NOT_STRING.test(source)) return new Scalar(source);
  const tags = atKey ? KEY_TAGS : DEFAULT_TAGS;
  for (const tag of tags) {
    if (!tag.test!.test(source)) continue;
    const res = tag.resolve(
      source,
      () => {
        throw GIVE_UP;
      },
      CORE_OPTIONS,
    );
    return isScalar(res) ? (res as Scalar) : new Scalar(res);
  }
  return new Scalar(source);
}

interface Open {
  node: YAMLMap | YAMLSeq;
  /** A mapping's key waiting for its value. */
  key: Scalar | null;
  /** Key values seen in a mapping, for duplicate detection. */
  seen: Set<unknown>;
}

/** Offset of a block scalar's `|` / `>` header, or -1 when it cannot be located with certainty. */
function blockHeader(text: string, e: ScalarEvent, keyEnd: number): number {
  const mark = e.style === SCALAR_STYLE.LITERAL_BLOCK ? "|" : ">";
  let i: number;
  if (keyEnd >= 0) {
    // A mapping value: `key`, spaces, `:`, then spaces, comments and line breaks before `|`.
    i = keyEnd;
    while (text[i] === " " || text[i] === "\t") i++;
    if (text[i] !== ":") return -1;
    i++;
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else if (c === "#" && /[ \t\r\n]/.test(text[i - 1] ?? "")) {
        const nl = text.indexOf("\n", i);
        if (nl < 0) return -1;
        i = nl + 1;
      } else break;
    }
  } else {
    // A sequence item or the document: the header line is `- - |` or `|`.
    const end = e.valueStart - 1;
    if (text[end] !== "\n") return -1;
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const m = /^[ \t]*(?:-[ \t]+)*(?=[|>])/.exec(text.slice(start, end));
    if (m === null) return -1;
    i = start + m[0].length;
  }
  if (text[i] !== mark || i >= e.valueStart) return -1;
  // Only indentation / chomping indicators, spaces and a comment may follow on the header line.
  const nl = text.indexOf("\n", i);
  if (nl < 0 || nl + 1 !== e.valueStart) return -1;
  if (!/^[|>][0-9+-]*(?:[ \t]+(?:#.*)?)?\r?$/.test(text.slice(i, nl))) return -1;
  return i;
}

function scalarNode(text: string, e: ScalarEvent, atKey: boolean, keyEnd: number): Scalar {
  if (e.valueStart < 0 || e.anchorStart >= 0 || e.tagStart >= 0) throw GIVE_UP;
  const value = getScalarValue(text, e);
  let node: Scalar;
  let start = e.valueStart;
  let end = e.valueEnd;
  switch (e.style) {
    case SCALAR_STYLE.PLAIN:
      node = resolvePlain(value, atKey);
      node.type = Scalar.PLAIN;
      break;
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED: {
      const quote = e.style === SCALAR_STYLE.SINGLE_QUOTED ? "'" : '"';
      start--;
      end++;
      if (text[start] !== quote || text[end - 1] !== quote) throw GIVE_UP;
      node = new Scalar(value);
      node.type = quote === "'" ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
      break;
    }
    case SCALAR_STYLE.LITERAL_BLOCK:
    case SCALAR_STYLE.FOLDED_BLOCK:
      if (atKey) throw GIVE_UP;
      start = blockHeader(text, e, keyEnd);
      if (start < 0) throw GIVE_UP;
      node = new Scalar(value);
      node.type =
        e.style === SCALAR_STYLE.LITERAL_BLOCK ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED;
      break;
    default:
      throw GIVE_UP;
  }
  node.range = [start, end, end];
  return node;
}

/**
 * The document's root node as `parseDocument` would build it, or `undefined` when this composer
 * cannot vouch for an exact match (see above).
 */
export function composeFast(text: string): Node | undefined {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  try {
    return build(text, events);
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
}

function build(text: string, events: Event[]): Node | undefined {
  let documents = 0;
  let root: Node | undefined;
  const stack: Open[] = [];
  let top: Open | undefined;
  /** End of the last key scalar, while its value has not started; else -1. */
  let keyEnd = -1;

  const attach = (node: Node): void => {
    if (top === undefined) {
      if (root !== undefined) throw GIVE_UP;
      root = node;
    } else if (top.node instanceof YAMLSeq) {
      top.node.items.push(node);
    } else if (top.key === null) {
      if (!(node instanceof Scalar)) throw GIVE_UP; // a complex key
      if (top.seen.has(node.value)) throw GIVE_UP; // a duplicate key: `yaml` reports it
      top.seen.add(node.value);
      top.key = node;
    } else {
      top.node.items.push(new Pair(top.key, node));
      top.key = null;
    }
  };

  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1 || e.directives.length > 0) throw GIVE_UP;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (e.anchorStart >= 0 || e.tagStart >= 0) throw GIVE_UP;
        if (top !== undefined && top.node instanceof YAMLMap && top.key === null) throw GIVE_UP;
        const flow = e.style === 2;
        const mapping = e.type === EVENT_ID.MAPPING;
        const c = text[e.start];
        // Flow collections open with their bracket; a block sequence with `-`. (A block
        // mapping's start is checked against its first key below.)
        if (flow ? c !== (mapping ? "{" : "[") : !mapping && c !== "-") throw GIVE_UP;
        // A block mapping directly in a flow collection (`[a: b]`) is built differently.
        if (!flow && top !== undefined && top.node.flow === true) throw GIVE_UP;
        const node = mapping ? new YAMLMap() : new YAMLSeq();
        if (flow) node.flow = true;
        node.range = [e.start, e.start, e.start];
        attach(node);
        top = { node, key: null, seen: new Set() };
        stack.push(top);
        keyEnd = -1;
        break;
      }
      case EVENT_ID.SCALAR: {
        const atKey = top !== undefined && top.node instanceof YAMLMap && top.key === null;
        if (atKey && top!.node.items.length === 0 && top!.node.flow !== true) {
          // A block mapping starts at its first key.
          if (top!.node.range![0] !== e.valueStart - (e.style === SCALAR_STYLE.PLAIN ? 0 : 1))
            throw GIVE_UP;
        }
        const node = scalarNode(text, e, atKey, atKey ? -1 : keyEnd);
        attach(node);
        keyEnd = atKey ? node.range![1] : -1;
        break;
      }
      case EVENT_ID.POP:
        if (stack.length === 0) break; // the document's end
        if (top!.key !== null) throw GIVE_UP;
        stack.pop();
        top = stack[stack.length - 1];
        keyEnd = -1;
        break;
      default:
        throw GIVE_UP; // aliases
    }
  }
  if (documents !== 1 || stack.length > 0) throw GIVE_UP;
  return root;
}
