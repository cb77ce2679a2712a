// One vitest project per package; each resolves sibling packages from source
// (the "source" export condition), so tests never need a build first.
export default ['packages/*', 'examples/*', 'faults'];
