#!/usr/bin/env node
// The `reprise` command: a committed shim, so a workspace install can link it before `dist` is built.
await import('../dist/cli.js');
