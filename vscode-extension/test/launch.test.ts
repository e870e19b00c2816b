// Unit tests of the launch decisions (src/launch.ts): plain Node, no VS Code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  absolutizeCommand,
  asArray,
  checkCompatibility,
  classifyProbe,
  classifySettingsChange,
  compareVersions,
  CrashPolicy,
  defaultMergeOutput,
  describeCrash,
  describeDiscoveryFailure,
  describeIncompatibility,
  discover,
  normalizeServerSettings,
  parseVersion,
  resolveCandidates,
  resolveVariables,
  runArgs,
  serverArgs,
  TailBuffer,
  versionArgs,
  type Candidate,
  type LaunchSettings,
  type ProcessOutcome,
} from '../src/launch';

const none: LaunchSettings = { path: [], interpreter: [], args: [] };
const ok = (stdout: string): ProcessOutcome => ({ exitCode: 0, signal: null, stdout, stderr: '', timedOut: false });
const exit = (code: number, stderr: string, stdout = ''): ProcessOutcome => ({ exitCode: code, signal: null, stdout, stderr, timedOut: false });
const spawnError = (code: string): ProcessOutcome => ({ errorCode: code, errorMessage: `spawn x ${code}`, exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false });

describe('resolveCandidates: the order the issue asks for', () => {
  it('uses mergelint.path alone when set, with its leading arguments', () => {
    const c = resolveCandidates({ ...none, path: ['/opt/ml/bin/mergelint', '--foo'], interpreter: ['/usr/bin/python3'] }, ['/py/bin/python']);
    assert.deepEqual(c, [{ source: 'path-setting', command: '/opt/ml/bin/mergelint', prefix: ['--foo'], explicit: true }]);
    assert.deepEqual(serverArgs(c[0], { ...none, args: ['--log-level', 'debug'] }), ['--foo', 'lsp', '--log-level', 'debug']);
  });

  it('uses mergelint.interpreter as `python -m mergelint` when no path is set', () => {
    const c = resolveCandidates({ ...none, interpreter: ['/usr/bin/python3', '-X', 'utf8'] }, ['/py/bin/python']);
    assert.equal(c.length, 1);
    assert.equal(c[0].source, 'interpreter-setting');
    assert.deepEqual([c[0].command, ...serverArgs(c[0], none)], ['/usr/bin/python3', '-X', 'utf8', '-m', 'mergelint', 'lsp']);
    assert.deepEqual(versionArgs(c[0]), ['-X', 'utf8', '-m', 'mergelint', '--version']);
  });

  it('then the Python extension interpreter, then mergelint on PATH', () => {
    const c = resolveCandidates(none, ['/ws/.venv/bin/python']);
    assert.deepEqual(
      c.map((x) => [x.source, x.command, x.explicit]),
      [
        ['python-extension', '/ws/.venv/bin/python', false],
        ['PATH', 'mergelint', false],
      ],
    );
  });

  it('falls back to PATH only without the Python extension', () => {
    assert.deepEqual(
      resolveCandidates(none).map((x) => x.source),
      ['PATH'],
    );
    assert.deepEqual(
      resolveCandidates({ ...none, path: ['  '], interpreter: [''] }, []).map((x) => x.source),
      ['PATH'],
    );
  });

  it('builds the run command from the same candidate', () => {
    const [c] = resolveCandidates({ ...none, interpreter: ['/usr/bin/python3'] });
    assert.deepEqual(runArgs(c, '/w/merge.yml', '/w/out'), ['-m', 'mergelint', 'run', '/w/merge.yml', '/w/out']);
  });
});

describe('classifyProbe: what a failed `--version` means', () => {
  const [pathCand] = resolveCandidates(none);
  const [interp] = resolveCandidates({ ...none, interpreter: ['/usr/bin/python3'] });
  const [explicitPath] = resolveCandidates({ ...none, path: ['/nope/mergelint'] });

  it('accepts mergelint and reads its version', () => {
    assert.deepEqual(classifyProbe(pathCand, ok('mergelint, version 0.1.0\n')), { ok: true, version: '0.1.0' });
    assert.equal(parseVersion('mergelint 1.2.3rc1'), '1.2.3rc1');
  });

  it('no Python / no mergelint on PATH is not-found', () => {
    const v = classifyProbe(pathCand, spawnError('ENOENT'));
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.problem.kind === 'not-found' && /not on PATH/.test(v.problem.summary));
    const w = classifyProbe(interp, spawnError('ENOENT'));
    assert.ok(!w.ok && w.problem.kind === 'not-found' && w.problem.summary.includes('/usr/bin/python3'));
  });

  it('a Python without mergelint is no-mergelint', () => {
    const v = classifyProbe(interp, exit(1, '/usr/bin/python3: No module named mergelint\n'));
    assert.ok(!v.ok && v.problem.kind === 'no-mergelint', JSON.stringify(v));
    assert.ok(!v.ok && v.problem.details.includes('No module named mergelint'));
  });

  it('a missing dependency is a broken install, not a missing mergelint', () => {
    const v = classifyProbe(interp, exit(1, 'Traceback...\nModuleNotFoundError: No module named \'mergelint.cli\'\n'));
    assert.ok(!v.ok && v.problem.kind === 'broken-install', JSON.stringify(v));
    const w = classifyProbe(interp, exit(1, "Traceback...\nModuleNotFoundError: No module named 'click'\n"));
    assert.ok(!w.ok && w.problem.kind === 'broken-install' && w.problem.summary.endsWith("No module named 'click'"));
  });

  it('not executable, killed, timeout, and a program that is not mergelint', () => {
    const a = classifyProbe(explicitPath, spawnError('EACCES'));
    assert.ok(!a.ok && a.problem.kind === 'not-executable');
    const b = classifyProbe(explicitPath, { ...exit(0, ''), exitCode: null, signal: 'SIGSEGV' });
    assert.ok(!b.ok && b.problem.kind === 'broken-install' && b.problem.summary.includes('SIGSEGV'));
    const c = classifyProbe(explicitPath, { ...exit(0, ''), exitCode: null, signal: 'SIGKILL', timedOut: true });
    assert.ok(!c.ok && c.problem.kind === 'timeout');
    const d = classifyProbe(explicitPath, ok('Python 3.11.7\n'));
    assert.ok(!d.ok && d.problem.kind === 'bad-version-output');
    const e = classifyProbe(explicitPath, exit(127, 'env: python9: No such file or directory'));
    assert.ok(!e.ok && e.problem.kind === 'not-found');
  });
});

describe('discover: the first working candidate wins', () => {
  it('skips a Python without mergelint and uses PATH', async () => {
    const tried: string[] = [];
    const d = await discover(resolveCandidates(none, ['/usr/bin/python3']), (c: Candidate) => {
      tried.push(c.command);
      return Promise.resolve(c.source === 'PATH' ? ok('mergelint, version 0.1.4') : exit(1, 'No module named mergelint'));
    });
    assert.deepEqual(tried, ['/usr/bin/python3', 'mergelint']);
    assert.ok(d.ok && d.candidate.source === 'PATH' && d.version === '0.1.4' && d.rejected.length === 1);
  });

  it('stops at the first that works', async () => {
    const tried: string[] = [];
    const d = await discover(resolveCandidates(none, ['/py']), (c) => {
      tried.push(c.command);
      return Promise.resolve(ok('mergelint, version 0.1.0'));
    });
    assert.deepEqual(tried, ['/py']);
    assert.ok(d.ok && d.candidate.source === 'python-extension');
  });

  it('reports every failure when none works', async () => {
    const d = await discover(resolveCandidates(none, ['/usr/bin/python3']), (c) =>
      Promise.resolve(c.source === 'PATH' ? spawnError('ENOENT') : exit(1, '/usr/bin/python3: No module named mergelint')),
    );
    assert.ok(!d.ok);
    if (!d.ok) {
      assert.deepEqual(
        d.problems.map((p) => p.kind),
        ['no-mergelint', 'not-found'],
      );
      const m = describeDiscoveryFailure(d.problems);
      // what is wrong ...
      assert.match(m.message, /does not have mergelint installed/);
      assert.match(m.message, /mergelint is not on PATH/);
      // ... and how to fix it
      assert.match(m.message, /\/usr\/bin\/python3 -m pip install mergelint/);
      assert.match(m.message, /mergelint\.path/);
      assert.match(m.log, /tried \/usr\/bin\/python3 -m mergelint --version/);
      assert.match(m.log, /No module named mergelint/);
    }
  });
});

describe('describeDiscoveryFailure: the notification names the fix', () => {
  it('no Python at all (nothing on PATH)', () => {
    const v = classifyProbe(resolveCandidates(none)[0], spawnError('ENOENT'));
    assert.ok(!v.ok);
    if (!v.ok) {
      const m = describeDiscoveryFailure([v.problem]);
      assert.match(m.message, /could not be started\. mergelint is not on PATH\. Install it \("pip install mergelint"\), or set "mergelint\.path"/);
    }
  });

  it('an explicit interpreter without mergelint: install into it or change the setting', () => {
    const [c] = resolveCandidates({ ...none, interpreter: ['/opt/py/bin/python'] });
    const v = classifyProbe(c, exit(1, '/opt/py/bin/python: No module named mergelint'));
    assert.ok(!v.ok);
    if (!v.ok) {
      const m = describeDiscoveryFailure([v.problem]);
      assert.match(m.message, /\/opt\/py\/bin\/python -m pip install mergelint/);
      assert.match(m.message, /change mergelint\.interpreter/);
    }
  });

  it('an explicit path that does not exist: fix the setting', () => {
    const [c] = resolveCandidates({ ...none, path: ['/nope/mergelint'] });
    const v = classifyProbe(c, spawnError('ENOENT'));
    assert.ok(!v.ok);
    if (!v.ok) {
      const m = describeDiscoveryFailure([v.problem]);
      assert.match(m.message, /"\/nope\/mergelint" \(from the mergelint\.path setting\) was not found/);
      assert.match(m.message, /Fix or clear the mergelint\.path setting/);
    }
  });
});

describe('version compatibility', () => {
  it('compares numerically', () => {
    assert.equal(compareVersions('0.10.0', '0.9.9'), 1);
    assert.equal(compareVersions('0.1.0', '0.1.0'), 0);
    assert.equal(compareVersions('0.1.0+local', '0.1.0'), 0);
    assert.equal(compareVersions('1.0.0', '1.0.1'), -1);
  });

  it('accepts 0.1.x and flags the rest', () => {
    assert.equal(checkCompatibility('0.1.0'), 'ok');
    assert.equal(checkCompatibility('0.1.17'), 'ok');
    assert.equal(checkCompatibility('0.0.9'), 'too-old');
    assert.equal(checkCompatibility('0.2.0'), 'too-new');
    assert.equal(checkCompatibility(undefined), 'unknown');
    assert.equal(checkCompatibility('dev'), 'unknown');
  });

  it('says what to do', () => {
    const [c] = resolveCandidates(none);
    assert.equal(describeIncompatibility('0.1.3', 'ok', c), undefined);
    assert.match(describeIncompatibility('0.0.1', 'too-old', c) ?? '', /older .* "pip install -U mergelint"/);
    assert.match(describeIncompatibility('0.3.0', 'too-new', c) ?? '', /newer .* Update the mergelint extension/);
  });
});

describe('CrashPolicy: when a closed server is restarted', () => {
  it('never restarts a server that died while starting', () => {
    const p = new CrashPolicy();
    assert.deepEqual(p.onClosed(0, false), { action: 'stop', reason: 'start-failure' });
    assert.deepEqual(p.onClosed(1, false), { action: 'stop', reason: 'start-failure' });
  });

  it('restarts a mid-session crash up to maxRestarts times in the window', () => {
    const p = new CrashPolicy(3, 1000);
    assert.equal(p.onClosed(0, true).action, 'restart');
    assert.equal(p.onClosed(10, true).action, 'restart');
    assert.equal(p.onClosed(20, true).action, 'restart');
    assert.deepEqual(p.onClosed(30, true), { action: 'stop', reason: 'too-many-crashes' });
  });

  it('forgets crashes outside the window', () => {
    const p = new CrashPolicy(2, 1000);
    assert.equal(p.onClosed(0, true).action, 'restart');
    assert.equal(p.onClosed(500, true).action, 'restart');
    assert.equal(p.onClosed(1200, true).action, 'restart');
    assert.equal(p.recentCrashes, 2);
  });

  it('the restart command starts counting afresh', () => {
    const p = new CrashPolicy(1, 60000);
    assert.equal(p.onClosed(0, true).action, 'restart');
    assert.equal(p.onClosed(1, true).action, 'stop');
    p.reset();
    assert.equal(p.onClosed(2, true).action, 'restart');
  });
});

describe('describeCrash: the server\'s own error reaches the user', () => {
  const [c] = resolveCandidates({ ...none, interpreter: ['/venv/bin/python'] });

  it('a mergelint without the lsp command', () => {
    const m = describeCrash({ candidate: c, exitCode: 2, signal: null, stderrTail: "Usage: mergelint ...\nError: No such command 'lsp'." }, 'start-failure');
    assert.match(m.message, /exited with code 2 while starting \(Error: No such command 'lsp'\.\)/);
    assert.match(m.message, /pip install -U mergelint/);
    assert.match(m.log, /\/venv\/bin\/python -m mergelint lsp/);
    assert.match(m.log, /No such command 'lsp'/);
  });

  it('arguments the server rejects', () => {
    const m = describeCrash({ candidate: c, exitCode: 2, signal: null, stderrTail: "Usage: python -m mergelint lsp [OPTIONS]\nError: No such option '--x'." }, 'start-failure');
    assert.match(m.message, /exited with code 2 while starting \(Error: No such option '--x'\.\)\. The server rejected its arguments: fix the mergelint\.args setting\./);
  });

  it('an import error at start', () => {
    const m = describeCrash({ candidate: c, exitCode: 1, signal: null, stderrTail: "Traceback\nModuleNotFoundError: No module named 'pygls'" }, 'start-failure');
    assert.match(m.message, /No module named 'pygls'/);
    assert.match(m.message, /reinstall mergelint/);
  });

  it('repeated crashes mid-session', () => {
    const m = describeCrash({ candidate: c, exitCode: null, signal: 'SIGSEGV', stderrTail: '' }, 'too-many-crashes', 3);
    assert.match(m.message, /crashed 4 times/);
    assert.match(m.message, /Restart Server/);
    assert.match(m.log, /was killed by SIGSEGV/);
  });
});

describe('settings', () => {
  it('launch settings restart, server settings reconfigure', () => {
    const affects = (...keys: string[]) => (s: string) => keys.some((k) => k === s || k.startsWith(`${s}.`));
    assert.equal(classifySettingsChange(affects('mergelint.path')), 'restart');
    assert.equal(classifySettingsChange(affects('mergelint.interpreter')), 'restart');
    assert.equal(classifySettingsChange(affects('mergelint.args')), 'restart');
    assert.equal(classifySettingsChange(affects('mergelint.ignore')), 'reconfigure');
    assert.equal(classifySettingsChange(affects('mergelint.severity')), 'reconfigure');
    assert.equal(classifySettingsChange(affects('mergelint.enable')), 'reconfigure');
    assert.equal(classifySettingsChange(affects('mergelint.online', 'mergelint.path')), 'restart');
    assert.equal(classifySettingsChange(affects('mergelint.trace.server')), 'none');
    assert.equal(classifySettingsChange(affects('editor.fontSize')), 'none');
  });

  it('normalizes what the server is sent', () => {
    assert.deepEqual(normalizeServerSettings({ select: ['ML102', ' ', 3], ignore: 'x', severity: { a: 'error', b: 'loud', c: 'info' }, online: 'yes' }), {
      select: ['ML102'],
      ignore: [],
      severity: { a: 'error', c: 'info' },
      enable: true,
    });
    // online only when the user set it, so that the project's [tool.mergelint] online applies otherwise
    assert.deepEqual(normalizeServerSettings({}), { select: [], ignore: [], severity: {}, enable: true });
    assert.deepEqual(normalizeServerSettings({ online: false, enable: false }), { select: [], ignore: [], severity: {}, online: false, enable: false });
    // kind only when it is one the server knows; "auto" (the default) lets the content decide
    assert.deepEqual(normalizeServerSettings({ kind: 'moe' }), { select: [], ignore: [], severity: {}, kind: 'moe', enable: true });
    assert.deepEqual(normalizeServerSettings({ kind: 'auto' }), { select: [], ignore: [], severity: {}, enable: true });
  });

  it('resolves variables, ~ and relative commands', () => {
    const ctx = { workspaceFolder: '/ws', home: '/home/me', env: { VENV: '/v' } };
    assert.equal(resolveVariables('${workspaceFolder}/.venv/bin/python', ctx), '/ws/.venv/bin/python');
    assert.equal(resolveVariables('~/bin/mergelint', ctx), '/home/me/bin/mergelint');
    assert.equal(resolveVariables('${userHome}/x', ctx), '/home/me/x');
    assert.equal(resolveVariables('${env:VENV}/bin/python', ctx), '/v/bin/python');
    assert.equal(resolveVariables('${env:UNSET}x', ctx), 'x');
    assert.equal(resolveVariables('${workspaceFolder}/x', { ...ctx, workspaceFolder: undefined }), '${workspaceFolder}/x');
    assert.equal(absolutizeCommand('.venv/bin/mergelint', '/ws'), '/ws/.venv/bin/mergelint');
    assert.equal(absolutizeCommand('./bin/mergelint', '/ws/'), '/ws/bin/mergelint');
    assert.equal(absolutizeCommand('python3', '/ws'), 'python3');
    assert.equal(absolutizeCommand('/usr/bin/python3', '/ws'), '/usr/bin/python3');
    assert.equal(absolutizeCommand('C:\\py\\python.exe', 'D:\\ws'), 'C:\\py\\python.exe');
    assert.deepEqual(asArray('/usr/bin/python3'), ['/usr/bin/python3']);
    assert.deepEqual(asArray(''), []);
    assert.deepEqual(asArray(['a', 1, 'b']), ['a', 'b']);
    assert.deepEqual(asArray(undefined), []);
  });

  it('offers an output folder next to the config', () => {
    assert.equal(defaultMergeOutput('/w/recipes/slerp.yml'), '/w/recipes/slerp-merged');
    assert.equal(defaultMergeOutput('C:\\w\\a.yaml'), 'C:\\w\\a-merged');
  });
});

describe('TailBuffer', () => {
  it('keeps the last lines', () => {
    const t = new TailBuffer(3);
    for (let i = 1; i <= 10; i++) {
      t.push(`line ${i}\n`);
    }
    assert.equal(t.toString(), 'line 8\nline 9\nline 10');
    t.clear();
    t.push('a');
    t.push('b\n');
    assert.equal(t.toString(), 'ab');
  });
});
