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
    this.named ??= this.children.filter((c) => c.isNamed);
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
}

export function grammarOf(language: Language): Grammar {
  const types: string[] = [];
  const named: boolean[] = [];
  for (let id = 0; id < language.nodeTypeCount; id++) {
    types.push(language.nodeTypeForId(id) ?? "");
    named.push(language.nodeTypeIsNamed(id));
  }
  return { types, named };
}

/**
 * Copies an error-free `tree` (parsed from `source`) into SyntaxNodes; the tree may be deleted
 * afterwards.
 */
export function copyTree(tree: Tree, source: string, grammar: Grammar): SyntaxNode {
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
