// One vitest project per package; each resolves sibling packages from source
// (the "@reprise/source" export condition), so tests never need a build first.
// docs-tests runs the READMEs' TypeScript snippets as scripts; faults is the fault suite.
export default ['packages/*', 'examples/*', 'docs-tests', 'faults'];
