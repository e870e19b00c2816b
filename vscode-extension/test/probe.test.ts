// The probe against real processes: fake executables written to a temporary folder, a real
// Python without mergelint, and (when the repository's venv exists) the real mergelint.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classifyProbe, discover, resolveCandidates, type LaunchSettings } from '../src/launch';
import { probeCandidate, runProcess } from '../src/probe';

const none: LaunchSettings = { path: [], interpreter: [], args: [] };
const isWindows = process.platform === 'win32';
let dir = '';

function script(name: string, body: string, mode = 0o755): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode });
  return p;
}

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

describe('probe (real processes)', { skip: isWindows && 'POSIX shell scripts' }, () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mergelint-probe-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a working mergelint', async () => {
    const exe = script('mergelint', 'echo "mergelint, version 0.1.2"');
    const [c] = resolveCandidates({ ...none, path: [exe] });
    assert.deepEqual(classifyProbe(c, await probeCandidate(c)), { ok: true, version: '0.1.2' });
  });

  it('a path that does not exist', async () => {
    const [c] = resolveCandidates({ ...none, path: [path.join(dir, 'missing', 'mergelint')] });
    const v = classifyProbe(c, await probeCandidate(c));
    assert.ok(!v.ok && v.problem.kind === 'not-found', JSON.stringify(v));
  });

  it('a file that is not executable', async () => {
    const exe = script('noexec', 'echo hi', 0o644);
    const [c] = resolveCandidates({ ...none, path: [exe] });
    const v = classifyProbe(c, await probeCandidate(c));
    assert.ok(!v.ok && v.problem.kind === 'not-executable', JSON.stringify(v));
  });

  it('a fake interpreter without mergelint', async () => {
    const py = script('python-nomod', 'echo "$0: No module named mergelint" >&2; exit 1');
    const [c] = resolveCandidates({ ...none, interpreter: [py] });
    const outcome = await probeCandidate(c);
    assert.equal(outcome.exitCode, 1);
    const v = classifyProbe(c, outcome);
    assert.ok(!v.ok && v.problem.kind === 'no-mergelint', JSON.stringify(v));
  });

  it('a server that hangs is cut off', async () => {
    const exe = script('hang', 'exec sleep 30');
    const [c] = resolveCandidates({ ...none, path: [exe] });
    const t0 = Date.now();
    const v = classifyProbe(c, await probeCandidate(c, { timeoutMs: 300 }));
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(!v.ok && v.problem.kind === 'timeout', JSON.stringify(v));
  });

  it('collects stdout, stderr and the exit code', async () => {
    const r = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([r.stdout, r.stderr, r.exitCode, r.timedOut], ['out\n', 'err\n', 3, false]);
  });

  const systemPython = ['/usr/bin/python3', which('python3')].find((p): p is string => !!p && fs.existsSync(p));
  it('a real Python without mergelint', { skip: !systemPython && 'no python3' }, async () => {
    const [c] = resolveCandidates({ ...none, interpreter: [systemPython!, '-I'] });
    const outcome = await probeCandidate(c, { cwd: dir });
    if (outcome.exitCode === 0) {
      return; // this python has mergelint installed: nothing to check
    }
    const v = classifyProbe(c, outcome);
    assert.ok(!v.ok && v.problem.kind === 'no-mergelint', JSON.stringify({ v, outcome }));
  });

  // the real thing: $MERGELINT_BIN's folder (the tests' venv), else the repository's .venv when present
  const venv = process.env.MERGELINT_BIN ? path.dirname(process.env.MERGELINT_BIN) : path.resolve(__dirname, '..', '..', '..', '.venv', 'bin');
  const haveVenv = fs.existsSync(path.join(venv, 'mergelint'));
  it('the real mergelint, found through each kind of setting', { skip: !haveVenv && `no ${venv}/mergelint` }, async () => {
    for (const settings of [
      { ...none, path: [path.join(venv, 'mergelint')] },
      { ...none, interpreter: [path.join(venv, 'python')] },
    ]) {
      const d = await discover(resolveCandidates(settings), (c) => probeCandidate(c, { cwd: dir }));
      assert.ok(d.ok, JSON.stringify(d));
      assert.match(d.ok ? d.version : '', /^\d+\.\d+\.\d+/);
    }
    // PATH lookup, with the venv first on PATH
    const env = { ...process.env, PATH: `${venv}${path.delimiter}${process.env.PATH ?? ''}` };
    const d = await discover(resolveCandidates(none, [path.join(dir, 'python-nomod')]), (c) => probeCandidate(c, { cwd: dir, env }));
    assert.ok(d.ok && d.candidate.source === 'PATH' && d.rejected[0]?.kind === 'no-mergelint', JSON.stringify(d));
  });
});
