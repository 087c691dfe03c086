#!/usr/bin/env node
// Compiled by `npm install` (prepare) and `npm start` (build).
import('../dist/cli.js');
