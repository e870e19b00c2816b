// How the extension finds, checks and keeps the mergelint language server running.
//
// Everything in this module is pure (no `vscode` import, no I/O) so that the decisions can be
// unit-tested with plain Node: which command to try, what a failed try means for the user,
// whether a server version fits, whether a crashed server is restarted, and whether a settings
// change needs a restart.

/** The launch-related settings, already read from the configuration and variable-resolved. */
export interface LaunchSettings {
  /** `mergelint.path`: the `mergelint` executable, optionally followed by leading arguments. */
  path: string[];
  /** `mergelint.interpreter`: a Python interpreter (and arguments) that has mergelint installed. */
  interpreter: string[];
  /** `mergelint.args`: extra arguments for `mergelint lsp`. */
  args: string[];
}

export type CandidateSource = 'path-setting' | 'interpreter-setting' | 'python-extension' | 'PATH';

/** One way to start mergelint: `command ...prefix <subcommand> ...`. */
export interface Candidate {
  source: CandidateSource;
  command: string;
  /** Arguments placed before the mergelint subcommand (e.g. `-m mergelint` for an interpreter). */
  prefix: string[];
  /** True when the user configured it; such a candidate is never silently replaced by another. */
  explicit: boolean;
}

/** The range of server versions this extension speaks to: `min <= version < below`. */
export interface VersionRange {
  min: string;
  below: string;
}

export const SUPPORTED_SERVER: VersionRange = { min: '0.1.0', below: '0.2.0' };

export const SETTINGS_HINT =
  'Set "mergelint.path" to the mergelint executable, or "mergelint.interpreter" to a Python that has mergelint installed';

/**
 * The commands to try, in order: `mergelint.path`, else `mergelint.interpreter`, else the
 * interpreter selected in the Python extension (when there is one), else `mergelint` on PATH.
 * A configured path or interpreter is the only candidate: when it does not work the user hears
 * about that setting rather than getting some other mergelint behind their back.
 */
export function resolveCandidates(settings: LaunchSettings, pythonExtension?: string[]): Candidate[] {
  const path = nonEmpty(settings.path);
  if (path.length > 0) {
    return [{ source: 'path-setting', command: path[0], prefix: path.slice(1), explicit: true }];
  }
  const interpreter = nonEmpty(settings.interpreter);
  if (interpreter.length > 0) {
    return [{ source: 'interpreter-setting', command: interpreter[0], prefix: [...interpreter.slice(1), '-m', 'mergelint'], explicit: true }];
  }
  const out: Candidate[] = [];
  const py = nonEmpty(pythonExtension ?? []);
  if (py.length > 0) {
    out.push({ source: 'python-extension', command: py[0], prefix: [...py.slice(1), '-m', 'mergelint'], explicit: false });
  }
  out.push({ source: 'PATH', command: 'mergelint', prefix: [], explicit: false });
  return out;
}

function nonEmpty(values: string[]): string[] {
  return values.map((v) => v.trim()).filter((v) => v.length > 0);
}

/** argv (after the command) that starts the language server. */
export function serverArgs(candidate: Candidate, settings: LaunchSettings): string[] {
  return [...candidate.prefix, 'lsp', ...settings.args];
}

/** argv (after the command) that asks for the version: cheap, and it proves the install imports. */
export function versionArgs(candidate: Candidate): string[] {
  return [...candidate.prefix, '--version'];
}

/** argv (after the command) for `mergelint run CONFIG OUT`. */
export function runArgs(candidate: Candidate, config: string, out: string): string[] {
  return [...candidate.prefix, 'run', config, out];
}

export function describeCandidate(c: Candidate): string {
  const cmd = [c.command, ...c.prefix].join(' ');
  switch (c.source) {
    case 'path-setting':
      return `"${cmd}" (from the mergelint.path setting)`;
    case 'interpreter-setting':
      return `"${cmd}" (the Python in the mergelint.interpreter setting)`;
    case 'python-extension':
      return `"${cmd}" (the Python selected in the Python extension)`;
    case 'PATH':
      return '"mergelint" on PATH';
  }
}

/** What running a command produced (see probe.ts). */
export interface ProcessOutcome {
  /** A spawn error: ENOENT, EACCES, ... */
  errorCode?: string;
  errorMessage?: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export type ProblemKind =
  | 'not-found' // the command does not exist
  | 'not-executable' // it exists but cannot be run
  | 'no-mergelint' // a Python without mergelint
  | 'broken-install' // mergelint is there but fails to import or run
  | 'timeout'
  | 'bad-version-output';

export interface Problem {
  kind: ProblemKind;
  candidate: Candidate;
  /** One line for the notification. */
  summary: string;
  /** The command's own error output, for the output channel. */
  details: string;
}

export type ProbeVerdict = { ok: true; version: string } | { ok: false; problem: Problem };

const VERSION_RE = /mergelint(?:,)?\s+(?:version\s+)?v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/;
const NO_MODULE_RE = /No module named ['"]?mergelint['"]?(?![.\w])/;

export function parseVersion(text: string): string | undefined {
  return VERSION_RE.exec(text)?.[1];
}

/** Turn the outcome of `<candidate> --version` into a verdict the user can act on. */
export function classifyProbe(candidate: Candidate, r: ProcessOutcome): ProbeVerdict {
  const what = describeCandidate(candidate);
  const details = [r.errorMessage ?? '', r.stderr.trim(), r.stdout.trim()].filter((s) => s).join('\n');
  const problem = (kind: ProblemKind, summary: string): ProbeVerdict => ({ ok: false, problem: { kind, candidate, summary, details } });
  if (r.errorCode === 'ENOENT') {
    return problem('not-found', candidate.source === 'PATH' ? 'mergelint is not on PATH' : `${what} was not found`);
  }
  if (r.errorCode === 'EACCES' || r.errorCode === 'EPERM' || r.errorCode === 'ENOEXEC') {
    return problem('not-executable', `${what} cannot be executed (${r.errorCode})`);
  }
  if (r.errorCode) {
    return problem('broken-install', `${what} could not be started: ${r.errorMessage ?? r.errorCode}`);
  }
  if (r.timedOut) {
    return problem('timeout', `${what} did not answer "--version" in time`);
  }
  if (r.exitCode !== 0) {
    if (NO_MODULE_RE.test(r.stderr) || NO_MODULE_RE.test(r.stdout)) {
      return problem('no-mergelint', `${what} does not have mergelint installed`);
    }
    // a shell wrapper that cannot find its command
    if (r.exitCode === 127 && candidate.source !== 'PATH') {
      return problem('not-found', `${what} was not found (exit code 127): ${lastLine(r.stderr)}`);
    }
    const how = r.exitCode === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with code ${r.exitCode}`;
    const last = lastLine(r.stderr) || lastLine(r.stdout);
    return problem('broken-install', `${what} ${how}${last ? `: ${last}` : ''}`);
  }
  const version = parseVersion(r.stdout) ?? parseVersion(r.stderr);
  if (!version) {
    return problem('bad-version-output', `${what} is not mergelint ("--version" printed ${JSON.stringify(truncate(r.stdout.trim(), 80))})`);
  }
  return { ok: true, version };
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
  return truncate(lines[lines.length - 1] ?? '', 200);
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export type ProbeFn = (candidate: Candidate) => Promise<ProcessOutcome>;

export type Discovery =
  | { ok: true; candidate: Candidate; version: string; rejected: Problem[] }
  | { ok: false; problems: Problem[] };

/** Try the candidates in order and return the first that answers as mergelint. */
export async function discover(candidates: Candidate[], probe: ProbeFn): Promise<Discovery> {
  const problems: Problem[] = [];
  for (const candidate of candidates) {
    const verdict = classifyProbe(candidate, await probe(candidate));
    if (verdict.ok) {
      return { ok: true, candidate, version: verdict.version, rejected: problems };
    }
    problems.push(verdict.problem);
  }
  return { ok: false, problems };
}

export interface UserMessage {
  /** The notification text: what is wrong and how to fix it. */
  message: string;
  /** The longer text for the output channel. */
  log: string;
}

/** The notification for "no working mergelint was found". */
export function describeDiscoveryFailure(problems: Problem[], installHint = 'pip install mergelint'): UserMessage {
  const first = problems[0];
  let fix: string;
  if (problems.length === 1 && first.candidate.explicit) {
    const setting = first.candidate.source === 'path-setting' ? 'mergelint.path' : 'mergelint.interpreter';
    if (first.kind === 'no-mergelint') {
      fix = `Install it into that Python ("${first.candidate.command} -m ${installHint}") or change ${setting}.`;
    } else {
      fix = `Fix or clear the ${setting} setting.`;
    }
  } else {
    const noModule = problems.find((p) => p.kind === 'no-mergelint');
    fix = noModule
      ? `Install it ("${noModule.candidate.command} -m ${installHint}"), or ${lowerFirst(SETTINGS_HINT)}.`
      : `Install it ("${installHint}"), or ${lowerFirst(SETTINGS_HINT)}.`;
  }
  const tried = problems.map((p) => p.summary).join('; ');
  const message = `mergelint: the language server could not be started. ${tried}. ${fix}`;
  const log = [
    'Could not find a working mergelint language server.',
    ...problems.map((p) => `- tried ${[p.candidate.command, ...versionArgs(p.candidate)].join(' ')}: ${p.summary}${p.details ? `\n    ${p.details.split('\n').join('\n    ')}` : ''}`),
    `Fix: ${fix}`,
  ].join('\n');
  return { message, log };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export type Compatibility = 'ok' | 'too-old' | 'too-new' | 'unknown';

export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(/[.+-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d < 0 ? -1 : 1;
    }
  }
  return 0;
}

export function checkCompatibility(version: string | undefined, range: VersionRange = SUPPORTED_SERVER): Compatibility {
  if (!version || !/^\d+\.\d+\.\d+/.test(version)) {
    return 'unknown';
  }
  if (compareVersions(version, range.min) < 0) {
    return 'too-old';
  }
  if (compareVersions(version, range.below) >= 0) {
    return 'too-new';
  }
  return 'ok';
}

/** The warning for a server whose version does not fit, or undefined when it fits. */
export function describeIncompatibility(version: string, compat: Compatibility, where: Candidate, range: VersionRange = SUPPORTED_SERVER): string | undefined {
  const supported = `${range.min} up to (not including) ${range.below}`;
  switch (compat) {
    case 'too-old':
      return `mergelint ${version} from ${describeCandidate(where)} is older than this extension supports (${supported}). Upgrade it: "pip install -U mergelint".`;
    case 'too-new':
      return `mergelint ${version} from ${describeCandidate(where)} is newer than this extension supports (${supported}). Update the mergelint extension.`;
    default:
      return undefined;
  }
}

/** What the client should do when the connection to the server closed without being asked to. */
export type CrashDecision = { action: 'restart' } | { action: 'stop'; reason: 'start-failure' | 'too-many-crashes' };

/**
 * A server that dies before it finished initializing is not restarted (it would only die again:
 * a missing module, a bad argument); the user gets the error and the restart command. A server
 * that crashes mid-session is restarted, up to `maxRestarts` times within `windowMs`.
 */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 3,
    readonly windowMs = 3 * 60 * 1000,
  ) {}

  onClosed(now: number, initialized: boolean): CrashDecision {
    if (!initialized) {
      return { action: 'stop', reason: 'start-failure' };
    }
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.maxRestarts) {
      return { action: 'stop', reason: 'too-many-crashes' };
    }
    return { action: 'restart' };
  }

  /** The user asked for a restart: start counting afresh. */
  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}

export interface CrashInfo {
  candidate: Candidate;
  exitCode: number | null;
  signal: string | null;
  /** The last lines the server wrote to stderr. */
  stderrTail: string;
}

export function describeCrash(info: CrashInfo, reason: 'start-failure' | 'too-many-crashes', maxRestarts = 3): UserMessage {
  const how = info.exitCode !== null ? `exited with code ${info.exitCode}` : info.signal ? `was killed by ${info.signal}` : 'closed the connection';
  const last = lastLine(info.stderrTail);
  const cmd = [info.candidate.command, ...info.candidate.prefix, 'lsp'].join(' ');
  let hint: string;
  if (/No such command ['"]?lsp/i.test(info.stderrTail)) {
    hint = 'This mergelint has no language server: upgrade it ("pip install -U mergelint").';
  } else if (/No such option|Got unexpected extra argument|Invalid value for/i.test(info.stderrTail)) {
    hint = 'The server rejected its arguments: fix the mergelint.args setting.';
  } else if (/ModuleNotFoundError|ImportError/.test(info.stderrTail)) {
    hint = 'A dependency is missing: reinstall mergelint ("pip install --force-reinstall mergelint") in that environment.';
  } else {
    hint = 'See the mergelint output for the server\'s error, fix it, then run "mergelint: Restart Server".';
  }
  const message =
    reason === 'start-failure'
      ? `mergelint: the language server ${how} while starting${last ? ` (${last})` : ''}. ${hint}`
      : `mergelint: the language server crashed ${maxRestarts + 1} times in a few minutes and was not restarted again${last ? ` (last error: ${last})` : ''}. ${hint}`;
  const log = [`The language server "${cmd}" ${how}${reason === 'start-failure' ? ' before it finished starting' : ''}.`, info.stderrTail ? `Its last output:\n${info.stderrTail}` : 'It wrote nothing to stderr.', hint].join('\n');
  return { message, log };
}

/** Keeps the last `maxLines` lines written to a stream. */
export class TailBuffer {
  private text = '';

  constructor(readonly maxLines = 30) {}

  push(chunk: string): void {
    this.text += chunk;
    const lines = this.text.split('\n');
    if (lines.length > this.maxLines + 1) {
      this.text = lines.slice(lines.length - this.maxLines - 1).join('\n');
    }
  }

  toString(): string {
    return this.text.replace(/\s+$/, '');
  }

  clear(): void {
    this.text = '';
  }
}

/** Settings that change how the server is started: a change restarts it. */
export const RESTART_SETTINGS = ['mergelint.path', 'mergelint.interpreter', 'mergelint.args'];
/** Settings the server reads through workspace/configuration: a change is sent to the running server. */
export const SERVER_SETTINGS = ['mergelint.enable', 'mergelint.select', 'mergelint.ignore', 'mergelint.severity', 'mergelint.online', 'mergelint.kind'];

export type SettingsChange = 'restart' | 'reconfigure' | 'none';

/** What a configuration change means, given `affects` (ConfigurationChangeEvent.affectsConfiguration). */
export function classifySettingsChange(affects: (section: string) => boolean): SettingsChange {
  if (RESTART_SETTINGS.some((s) => affects(s))) {
    return 'restart';
  }
  if (SERVER_SETTINGS.some((s) => affects(s))) {
    return 'reconfigure';
  }
  return 'none';
}

export interface ServerSettings {
  select: string[];
  ignore: string[];
  severity: Record<string, string>;
  /** Left out when the user did not set it, so that the project's `online` applies. */
  online?: boolean;
  /** The mergekit command every config is for (yaml, moe, multi, evolve); left out to let the content decide. */
  kind?: string;
  enable: boolean;
}

/** The kinds the server knows (merge_core/tools.py's Tool). */
export const KINDS = ['yaml', 'moe', 'multi', 'evolve'];

/** The settings sent to the server (initializationOptions, and the answer to workspace/configuration). */
export function normalizeServerSettings(raw: Partial<Record<keyof ServerSettings, unknown>>): ServerSettings {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : []);
  const severity: Record<string, string> = {};
  if (raw.severity && typeof raw.severity === 'object' && !Array.isArray(raw.severity)) {
    for (const [rule, level] of Object.entries(raw.severity as Record<string, unknown>)) {
      if (level === 'error' || level === 'warning' || level === 'info') {
        severity[rule] = level;
      }
    }
  }
  const out: ServerSettings = { select: list(raw.select), ignore: list(raw.ignore), severity, enable: raw.enable !== false };
  if (typeof raw.online === 'boolean') {
    out.online = raw.online;
  }
  if (typeof raw.kind === 'string' && KINDS.includes(raw.kind)) {
    out.kind = raw.kind;
  }
  return out;
}

export interface VariableContext {
  workspaceFolder?: string;
  home: string;
  env: Record<string, string | undefined>;
}

/**
 * Resolve `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` in a setting.
 * Unknown variables are left as they are (and so show up in the error message).
 */
export function resolveVariables(value: string, ctx: VariableContext): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName) {
      return ctx.env[envName] ?? '';
    }
    if (name === 'userHome') {
      return ctx.home;
    }
    return ctx.workspaceFolder ?? whole;
  });
  if (out === '~' || out.startsWith('~/')) {
    out = ctx.home + out.slice(1);
  }
  return out;
}

/** A string setting or an array setting, as an array. */
export function asArray(value: unknown): string[] {
  if (typeof value === 'string') {
    return value.trim() ? [value] : [];
  }
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === 'string');
  }
  return [];
}

/** The default output folder offered by "mergelint: Run merge": next to the config, named after it. */
export function defaultMergeOutput(configPath: string): string {
  const slash = Math.max(configPath.lastIndexOf('/'), configPath.lastIndexOf('\\'));
  const dir = slash >= 0 ? configPath.slice(0, slash) : '.';
  const base = (slash >= 0 ? configPath.slice(slash + 1) : configPath).replace(/\.(ya?ml)$/i, '');
  const sep = slash >= 0 ? configPath[slash] : '/';
  return `${dir}${sep}${base}-merged`;
}

/**
 * A command setting written relative to the workspace (".venv/bin/mergelint") is made absolute
 * against the workspace folder; a bare name ("mergelint", "python3") is left for PATH lookup.
 */
export function absolutizeCommand(command: string, workspaceFolder: string | undefined): string {
  const isAbsolute = command.startsWith('/') || /^[A-Za-z]:[\\/]/.test(command) || command.startsWith('\\\\');
  const hasSeparator = command.includes('/') || command.includes('\\');
  if (isAbsolute || !hasSeparator || !workspaceFolder) {
    return command;
  }
  const sep = workspaceFolder.includes('\\') && !workspaceFolder.includes('/') ? '\\' : '/';
  return `${workspaceFolder.replace(/[\\/]+$/, '')}${sep}${command.replace(/^\.[\\/]/, '')}`;
}
