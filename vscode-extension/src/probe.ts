// Runs a command and collects what it did, for launch.ts to judge. Node only (no `vscode`).
import { spawn } from 'node:child_process';
import type { Candidate, ProcessOutcome } from './launch';
import { versionArgs } from './launch';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (o: Partial<ProcessOutcome>) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ exitCode: null, signal: null, stdout, stderr, timedOut, ...o });
      }
    };
    let child;
    try {
      child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      resolve({ errorCode: err.code ?? 'EINVAL', errorMessage: err.message, exitCode: null, signal: null, stdout, stderr, timedOut });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 15000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => done({ errorCode: err.code, errorMessage: err.message }));
    child.on('close', (code, signal) => done({ exitCode: code, signal }));
  });
}

/** `<candidate> --version`, the check run before the server is started. */
export function probeCandidate(candidate: Candidate, opts: RunOptions = {}): Promise<ProcessOutcome> {
  return runProcess(candidate.command, versionArgs(candidate), opts);
}
