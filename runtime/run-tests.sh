#!/usr/bin/env sh
# Runs the runtime's Python tests with the Python that commands/python.ts picks (MLFUNC_PYTHON, else
# /usr/bin/python3, else python3 from PATH): scripts/runtime-tests.ts, bundled on the fly by esbuild.
cd "$(dirname "$0")/.." || exit 1
node_modules/.bin/esbuild scripts/runtime-tests.ts --bundle --platform=node --target=node20 --log-level=warning | node -
