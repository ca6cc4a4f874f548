import type { Language, Node, Tree } from "web-tree-sitter";

/**
 * A plain-object copy of a tree-sitter syntax tree. Reading a web-tree-sitter `Node` crosses into
 * WebAssembly on every property access and allocates wrappers for every `children` call; a single
 * cursor walk reading two numbers per node (type id, start) is much cheaper, and the analysis then
 * runs on plain objects.
 */
export class SyntaxNode {
  readonly children: SyntaxNode[] = [];
  /** End offset; for anonymous tokens (whose text is their type) it is derived from the start. */
  endIndex: number;
  private named: SyntaxNode[] | undefined;

  constructor(
    private readonly source: string,
    readonly type: string,
    readonly isNamed: boolean,
    readonly startIndex: number,
    readonly parent: SyntaxNode | null,
  ) {
    this.endIndex = startIndex + type.length;
  }

  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  get namedChildren(): SyntaxNode[] {
    if (this.named === undefined) {
      const { children } = this;
      let i = 0;
      while (i < children.length && children[i]!.isNamed) i++;
      // All named (the usual case): share the array; callers never modify either.
      this.named = i === children.length ? children : children.filter((c) => c.isNamed);
    }
    return this.named;
  }

  get nextSibling(): SyntaxNode | null {
    const siblings = this.parent?.children;
    if (!siblings) return null;
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
}

/** Node type names and namedness by type id, read once per grammar. */
export interface Grammar {
  types: string[];
  named: boolean[];
  /** The runtime's raw cursor exports, when `Parser.init` handed us its module object. */
  raw?: RawCursorApi | undefined;
}

/**
 * The WebAssembly exports behind web-tree-sitter's `TreeCursor`. Each reads the cursor from the
 * runtime's transfer buffer and writes it back there after moving; the `TreeCursor` class copies
 * the cursor into and out of that buffer around every call (eight heap accesses per call). Driven
 * directly, with nothing else touching the buffer in between, the cursor just stays there.
 */
export interface RawCursorApi {
  _ts_tree_root_node_wasm(tree: number): void;
  _ts_tree_cursor_new_wasm(tree: number): void;
  _ts_tree_cursor_delete_wasm(tree: number): void;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}

const RAW_EXPORTS = [
  "_ts_tree_root_node_wasm",
  "_ts_tree_cursor_new_wasm",
  "_ts_tree_cursor_delete_wasm",
  "_ts_tree_cursor_goto_first_child_wasm",
  "_ts_tree_cursor_goto_next_sibling_wasm",
  "_ts_tree_cursor_goto_parent_wasm",
  "_ts_tree_cursor_current_node_type_id_wasm",
  "_ts_tree_cursor_start_index_wasm",
  "_ts_tree_cursor_end_index_wasm",
] as const;

/**
 * The raw cursor exports of the module object given to `Parser.init`, if it has them all, copied
 * onto a small object of their own (the module object has hundreds of properties: reading a
 * function from it on every call is a slow dictionary lookup).
 */
export function rawCursorApi(module: object): RawCursorApi | undefined {
  const m = module as Record<string, unknown>;
  if (!RAW_EXPORTS.every((name) => typeof m[name] === "function")) return undefined;
  const api: Record<string, unknown> = {};
  for (const name of RAW_EXPORTS) api[name] = m[name];
  return api as unknown as RawCursorApi;
}

export function grammarOf(language: Language, raw?: RawCursorApi): Grammar {
  const types: string[] = [];
  const named: boolean[] = [];
  for (let id = 0; id < language.nodeTypeCount; id++) {
    types.push(language.nodeTypeForId(id) ?? "");
    named.push(language.nodeTypeIsNamed(id));
  }
  return { types, named, raw };
}

/**
 * Copies an error-free `tree` (parsed from `source`) into SyntaxNodes; the tree may be deleted
 * afterwards.
 */
export function copyTree(tree: Tree, source: string, grammar: Grammar): SyntaxNode {
  const address = (tree as unknown as { 0?: unknown })[0];
  if (grammar.raw && typeof address === "number" && address !== 0)
    return copyTreeRaw(grammar.raw, address, source, grammar);
  const cursor = tree.walk();
  try {
    const make = (parent: SyntaxNode | null): SyntaxNode => {
      const id = cursor.nodeTypeId;
      const isNamed = grammar.named[id] ?? true;
      const node = new SyntaxNode(
        source,
        grammar.types[id] ?? "",
        isNamed,
        cursor.startIndex,
        parent,
      );
      if (isNamed) node.endIndex = cursor.endIndex;
      return node;
    };
    const root = make(null);
    let node = root;
    for (;;) {
      if (cursor.gotoFirstChild()) {
        const child = make(node);
        node.children.push(child);
        node = child;
        continue;
      }
      for (;;) {
        const parent = node.parent;
        if (parent === null) return root;
        if (cursor.gotoNextSibling()) {
          const sibling = make(parent);
          parent.children.push(sibling);
          node = sibling;
          break;
        }
        cursor.gotoParent();
        node = parent;
      }
    }
  } finally {
    cursor.delete();
  }
}

/**
 * `copyTree` through the raw exports: the root node is put in the transfer buffer, a cursor made
 * from it there, moved and read in place, then deleted. Nothing else may call into web-tree-sitter
 * in between (it would overwrite the buffer), hence one uninterrupted loop.
 */
function copyTreeRaw(
  raw: RawCursorApi,
  tree: number,
  source: string,
  grammar: Grammar,
): SyntaxNode {
  const { types, named } = grammar;
  raw._ts_tree_root_node_wasm(tree);
  raw._ts_tree_cursor_new_wasm(tree);
  try {
    const make = (parent: SyntaxNode | null): SyntaxNode => {
      const id = raw._ts_tree_cursor_current_node_type_id_wasm(tree);
      const isNamed = named[id] ?? true;
      const node = new SyntaxNode(
        source,
        types[id] ?? "",
        isNamed,
        raw._ts_tree_cursor_start_index_wasm(tree),
        parent,
      );
      if (isNamed) node.endIndex = raw._ts_tree_cursor_end_index_wasm(tree);
      return node;
    };
    const root = make(null);
    let node = root;
    for (;;) {
      if (raw._ts_tree_cursor_goto_first_child_wasm(tree)) {
        const child = make(node);
        node.children.push(child);
        node = child;
        continue;
      }
      for (;;) {
        const parent = node.parent;
        if (parent === null) return root;
        if (raw._ts_tree_cursor_goto_next_sibling_wasm(tree)) {
          const sibling = make(parent);
          parent.children.push(sibling);
          node = sibling;
          break;
        }
        raw._ts_tree_cursor_goto_parent_wasm(tree);
        node = parent;
      }
    }
  } finally {
    raw._ts_tree_cursor_delete_wasm(tree);
  }
}

/** The first ERROR or MISSING node of a tree that has errors. */
export function firstError(node: Node): Node | undefined {
  if (node.isError || node.isMissing) return node;
  for (const child of node.children) {
    if (child && (child.hasError || child.isMissing)) {
      const found = firstError(child);
      if (found) return found;
    }
  }
  return undefined;
}
