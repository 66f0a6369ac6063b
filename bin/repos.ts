#!/usr/bin/env node
// Entry point of `npm run repos -- list | remove ...` (also `llsc-repos`): the products and repos the
// database holds, and removing one with its advisories withdrawn or deleted.
import { runReposCommand } from '../ingest/repos-command.js'

process.exitCode = runReposCommand(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr })
