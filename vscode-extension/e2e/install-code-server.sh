#!/usr/bin/env bash
# Install code-server (VS Code in the browser) from the npm registry only: no download from GitHub
# or elsewhere. code-server's own postinstall would fetch ripgrep from GitHub and prebuilt native
# modules; instead the scripts are skipped, the native modules are built with node-gyp against the
# Node headers in /usr/include/node, and Debian's ripgrep is used.
#
# Usage: install-code-server.sh DIR     (idempotent: does nothing when DIR already has this version)
# Needs: node 20 with its headers (/usr/include/node), npm, g++, make, python3, and rg (apt: ripgrep).
# 4.100.3 is the last code-server release for Node 20 (4.103+ want Node 22, 4.139 wants 24).
set -euo pipefail
V=${CODE_SERVER_VERSION:-4.100.3}
DIR=${1:?usage: install-code-server.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
STAMP="$DIR/.installed-$V"
if [ -f "$STAMP" ] && [ -x "$DIR/node_modules/.bin/code-server" ]; then
  echo "code-server $V already installed in $DIR"
  exit 0
fi
command -v rg >/dev/null || { echo "install-code-server.sh: ripgrep (rg) is missing: apt-get install -y ripgrep" >&2; exit 1; }
[ -f /usr/include/node/node.h ] || [ -n "${npm_config_nodedir:-}" ] || { echo "install-code-server.sh: Node headers missing (/usr/include/node); set npm_config_nodedir" >&2; exit 1; }
export npm_config_yes=true                          # node-pty's install runs `npx node-gyp`; an npmrc with yes=false cancels it
export npm_config_nodedir=${npm_config_nodedir:-/usr} # node-gyp would otherwise download headers from nodejs.org
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
rm -f "$DIR"/.installed-*
cd "$DIR"
[ -f package.json ] || printf '{ "name": "code-server-e2e", "private": true }\n' > package.json
npm install --no-save --ignore-scripts "code-server@$V"
npm rebuild --foreground-scripts argon2               # code-server's own native module (prebuilt download fails, builds from source)
cd "$DIR/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts               # VS Code's runtime dependencies (npm-shrinkwrap.json)
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# the native modules VS Code's server needs on Linux; kerberos (proxy authentication) is left out,
# so libkrb5-dev is not needed
npm rebuild --foreground-scripts @vscode/spdlog node-pty @parcel/watcher native-watchdog @vscode/deviceid
rm -rf node_modules.asar && ln -s node_modules node_modules.asar   # what code-server's postinstall.sh does
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)             # the built-in extensions (the YAML language among them)
touch "$STAMP"
echo "code-server $V installed in $DIR"
