#!/usr/bin/env bash
# End-to-end test of the mergelint extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3,
# installed from the npm registry), the packaged .vsix, the real `mergelint lsp`, driven headless by
# playwright-core in Debian's Chromium. Two scenarios, each in a fresh code-server profile:
#   fix        a linear config without weights, mergelint found on PATH: the Problems panel shows
#              missing-required-parameter errors, "Add weight: 1.0" from the Quick Fix menu (twice) fixes
#              them, the saved file is exactly the expected text, `mergelint check` agrees, the errors go
#   bad-input  no Python, a Python without mergelint, a server that crashes at start (the real server given
#              an argument it rejects): one notification each, saying what is wrong and how to fix it, and
#              the output channel has the server's error; fixing the setting in settings.json recovers, a
#              mergelint older than the extension supports gets a warning,
#              "mergelint: Restart Server" restarts, a server killed mid-session is restarted, a changed
#              mergelint.ignore reaches the running server, and "mergelint: Run merge" runs `mergelint run`
#              in a terminal (which refuses this config, naming its errors)
# Exit 0 = PASS. Screenshots, per-scenario result JSON and logs go to $E2E_ARTIFACTS
# (default: vscode-extension/artifacts/e2e, gitignored).
#
# Env: MERGELINT_BIN  the mergelint to test (default: <repo>/.venv/bin/mergelint, else mergelint on PATH)
#      CHROMIUM       the browser (default: chromium on PATH, /usr/bin/chromium)
#      CS_DIR         where code-server is installed (default: e2e/.code-server; installed when missing)
#      VSIX           a prebuilt .vsix (default: build it with `npm run package`)
#      SCENARIOS      default "fix bad-input"
#      E2E_TRACE      mergelint.trace.server for the fix scenario (off | messages | verbose), to debug
# Needs: node 20 + npm, g++/make (first code-server install), rg (apt: ripgrep), chromium (apt: chromium).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$(cd "$HERE/.." && pwd)
REPO=$(cd "$EXT/.." && pwd)
T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
elapsed() { since "$T0"; }
say() { echo "[e2e $(elapsed)s] $*"; }
die() { echo "e2e: $*" >&2; exit 1; }

ARTIFACTS=${E2E_ARTIFACTS:-$EXT/artifacts/e2e}
SCENARIOS=${SCENARIOS:-fix bad-input}
CS_DIR=${CS_DIR:-$HERE/.code-server}

# --- what the test needs ---------------------------------------------------------------------
command -v node >/dev/null || die "node is missing (Node 20)"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] || die "Chromium is missing: apt-get install -y chromium (or set CHROMIUM)"
export CHROMIUM
if [ -z "${MERGELINT_BIN:-}" ]; then
  if [ -x "$REPO/.venv/bin/mergelint" ]; then MERGELINT_BIN=$REPO/.venv/bin/mergelint; else MERGELINT_BIN=$(command -v mergelint || true); fi
fi
[ -n "$MERGELINT_BIN" ] && [ -x "$MERGELINT_BIN" ] || die "mergelint is not installed (set MERGELINT_BIN or create $REPO/.venv)"
"$MERGELINT_BIN" lsp --help >/dev/null 2>&1 || die "$MERGELINT_BIN has no working 'lsp' command"
export MERGELINT_BIN
VENV_BIN=$(dirname "$MERGELINT_BIN")
GOOD_PYTHON=$VENV_BIN/python
[ -x "$GOOD_PYTHON" ] || GOOD_PYTHON=$(head -1 "$MERGELINT_BIN" | sed -n 's/^#! *//p')
"$GOOD_PYTHON" -c 'import mergelint' 2>/dev/null || die "no Python with mergelint found next to $MERGELINT_BIN"
export GOOD_PYTHON
BAD_PYTHON=
for py in /usr/bin/python3 "$(command -v python3 || true)"; do
  if [ -n "$py" ] && [ -x "$py" ] && (cd / && ! "$py" -I -c 'import mergelint' 2>/dev/null); then BAD_PYTHON=$py; break; fi
done
export BAD_PYTHON
say "mergelint: $MERGELINT_BIN ($("$MERGELINT_BIN" --version)); a Python without it: ${BAD_PYTHON:-none}; chromium: $CHROMIUM"

# --- code-server and the .vsix -----------------------------------------------------------------
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)
mkdir -p "$CS_DIR"
# flock: two runs at once install code-server once
flock "$CS_DIR/.lock" bash "$HERE/install-code-server.sh" "$CS_DIR" > "$ARTIFACTS/install-code-server.log" 2>&1 \
  || { tail -40 "$ARTIFACTS/install-code-server.log"; die "installing code-server failed"; }
CS=$CS_DIR/node_modules/.bin/code-server
say "code-server ready: $CS"
if [ -z "${VSIX:-}" ]; then
  (cd "$EXT" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run --silent package >/dev/null) || die "building the .vsix failed"
  VSIX=$EXT/mergelint.vsix
fi
[ -f "$VSIX" ] || die "no .vsix at $VSIX"
say "extension: $VSIX"

SCRATCH=$(mktemp -d -t mergelint-e2e.XXXXXX)
CSPID=
cleanup() {
  if [ -n "$CSPID" ]; then kill "$CSPID" 2>/dev/null; wait "$CSPID" 2>/dev/null; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

run_scenario() {
  local name=$1 run=$SCRATCH/$1 port
  port=$(free_port)
  mkdir -p "$run/ws" "$run/data/User" "$run/exts" "$run/bin"
  : > "$run/config.yaml"                                       # else code-server writes ~/.config/code-server/config.yaml
  printf 'models:\n  - model: org/a\n  - model: org/b\nmerge_method: linear\ndtype: float16\n' > "$run/ws/merge.yml"
  local extra='' path_env=$PATH
  case $name in
    fix) path_env=$VENV_BIN:$PATH; extra="\"mergelint.trace.server\": \"${E2E_TRACE:-off}\"," ;;  # found as `mergelint` on PATH
    bad-input) extra="\"mergelint.interpreter\": [\"$run/bin/python\"],
  \"mergelint.args\": [\"--no-such-option\"]," ;;
  esac
  cat > "$run/data/User/settings.json" <<JSON
{ $extra
  "workbench.startupEditor": "none", "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false, "extensions.autoCheckUpdates": false,
  "update.mode": "none", "workbench.tips.enabled": false, "chat.disableAIFeatures": true,
  "workbench.welcomePage.walkthroughs.openOnInstall": false, "files.autoSave": "off",
  "terminal.integrated.gpuAcceleration": "off",
  "redhat.telemetry.enabled": false }
JSON
  # XDG_*: else code-server writes under ~/.local/share/code-server. VSCODE_CLI=1: the extension host
  # keeps this environment (as after `code .` from a terminal) instead of re-reading PATH from a login shell
  local envs=(env XDG_DATA_HOME="$run/xdg-data" XDG_CONFIG_HOME="$run/xdg-config" PATH="$path_env" VSCODE_CLI=1)
  "${envs[@]}" "$CS" --config "$run/config.yaml" --user-data-dir "$run/data" --extensions-dir "$run/exts" \
    --install-extension "$VSIX" > "$ARTIFACTS/$name-install-extension.log" 2>&1 || { cat "$ARTIFACTS/$name-install-extension.log"; return 1; }
  "${envs[@]}" "$CS" --config "$run/config.yaml" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
    --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    --user-data-dir "$run/data" --extensions-dir "$run/exts" "$run/ws" > "$ARTIFACTS/$name-code-server.log" 2>&1 &
  CSPID=$!
  # wait (up to 30 s) for code-server to answer
  node -e "const u=process.argv[1],end=Date.now()+30000;(async()=>{for(;;){try{if((await fetch(u)).ok)process.exit(0)}catch{}
    if(Date.now()>end)process.exit(1);await new Promise(r=>setTimeout(r,200))}})()" "http://127.0.0.1:$port/healthz" \
    || { cat "$ARTIFACTS/$name-code-server.log"; return 1; }
  say "$name: code-server up on port $port"
  # XDG_* for Chromium too: else it writes ~/.config/chromium/Crash Reports
  XDG_CONFIG_HOME="$run/xdg-config" XDG_CACHE_HOME="$run/xdg-cache" CS_URL="http://127.0.0.1:$port/" CS_WS="$run/ws" CS_OUT="$ARTIFACTS" CS_LOGS="$run/data/logs" \
    CS_SETTINGS="$run/data/User/settings.json" SCENARIO=$name timeout 180 node "$HERE/driver.js"
  local rc=$?
  kill "$CSPID" 2>/dev/null; wait "$CSPID" 2>/dev/null; CSPID=
  cp -r "$run/data/logs" "$ARTIFACTS/$name-logs" 2>/dev/null
  cp "$run/ws/merge.yml" "$ARTIFACTS/$name-merge.yml" 2>/dev/null
  return $rc
}

FAILED=
for s in $SCENARIOS; do
  ts=$(date +%s.%N)
  if run_scenario "$s"; then
    say "$s: PASS in $(since "$ts") s"
  else
    say "$s: FAIL (see $ARTIFACTS/$s-failure.png and $ARTIFACTS/$s-logs)"
    FAILED="$FAILED $s"
  fi
done
say "screenshots and logs: $ARTIFACTS"
ls "$ARTIFACTS"/*.png 2>/dev/null | sed 's/^/  /'
if [ -n "$FAILED" ]; then
  say "FAIL:$FAILED"
  exit 1
fi
say "PASS"
