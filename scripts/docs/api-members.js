'use strict';
// The options and events of the two socket classes, read from the public API itself (the names that
// lib/index.ts exports, through the TypeScript compiler), so that the README's tables and the API
// reference can be checked against what the code has: a new option or event that is not documented
// fails the check wherever it was added.
const path = require('node:path');
const ts = require('typescript');

/** The interfaces whose members the documentation must list, by the class they belong to. */
const kDocumented = {
  McastRxSocket: { options: 'McastRxSocketOptions', events: 'McastRxSocketEvents' },
  McastTxSocket: { options: 'McastTxSocketOptions', events: 'McastTxSocketEvents' },
};

/** { McastRxSocket: { options: [...], events: [...] }, McastTxSocket: {...} } from lib/index.ts's exports. */
function apiMembers(root) {
  const entry = path.join(root, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot read ${entry}`);
  const exports = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(source)).map((s) => [s.name, s]));
  const members = {};
  for (const [cls, names] of Object.entries(kDocumented)) {
    members[cls] = {};
    for (const [kind, name] of Object.entries(names)) {
      const symbol = exports.get(name);
      if (symbol === undefined) throw new Error(`lib/index.ts does not export ${name}`);
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      members[cls][kind] = checker.getDeclaredTypeOfSymbol(target).getProperties().map((p) => p.name);
    }
  }
  return members;
}

module.exports = { apiMembers, kDocumented };
