#!/usr/bin/env node
// The kycvs-verify command (src/cli.ts, built to dist/cli.js). A file of its own so that npm links the
// command at install time, before the package is built in a fresh clone of the repository.
import "../dist/cli.js";
