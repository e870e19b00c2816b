// The mergelint VS Code extension: finds `mergelint`, starts `mergelint lsp` over stdio with
// vscode-languageclient, tells the user what is wrong (and how to fix it) when that fails, and
// offers restart, output and "Run merge" commands.
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  absolutizeCommand,
  asArray,
  checkCompatibility,
  classifySettingsChange,
  defaultMergeOutput,
  CrashPolicy,
  describeCandidate,
  describeCrash,
  describeDiscoveryFailure,
  describeIncompatibility,
  discover,
  normalizeServerSettings,
  resolveCandidates,
  resolveVariables,
  runArgs,
  serverArgs,
  TailBuffer,
  type Candidate,
  type LaunchSettings,
  type ServerSettings,
  type UserMessage,
} from './launch';
import { KIND_NOTIFICATION, Kinds, kindText, type KindParams } from './kind';
import { probeCandidate } from './probe';
import { onInterpreterChanged, selectedInterpreter } from './python';

const ID = 'mergelint';
const NAME = 'mergelint';
const SELECTOR: { scheme: string; language: string }[] = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
];

function workspaceFolder(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  return folder?.uri.fsPath;
}

function readLaunchSettings(): LaunchSettings {
  const cfg = vscode.workspace.getConfiguration(ID);
  const ctx = { workspaceFolder: workspaceFolder(), home: os.homedir(), env: process.env };
  const resolve = (values: string[]) => values.map((v) => resolveVariables(v, ctx));
  const command = (values: string[]) => (values.length > 0 ? [absolutizeCommand(values[0], ctx.workspaceFolder), ...values.slice(1)] : values);
  return {
    path: command(resolve(asArray(cfg.get('path')))),
    interpreter: command(resolve(asArray(cfg.get('interpreter')))),
    args: resolve(asArray(cfg.get('args'))),
  };
}

function readServerSettings(scope?: vscode.ConfigurationScope): ServerSettings {
  const cfg = vscode.workspace.getConfiguration(ID, scope);
  const online = cfg.inspect<boolean>('online');
  const onlineSet = [online?.globalValue, online?.workspaceValue, online?.workspaceFolderValue].some((v) => v !== undefined);
  return normalizeServerSettings({
    select: cfg.get('select'),
    ignore: cfg.get('ignore'),
    severity: cfg.get('severity'),
    online: onlineSet ? cfg.get('online') : undefined,
    kind: cfg.get('kind'),
    enable: cfg.get('enable'),
  });
}

function serverEnv(): NodeJS.ProcessEnv {
  // PYTHONSAFEPATH: `python -m mergelint` must not import a `mergelint` folder that happens to be
  // in the working directory (Python >= 3.11; older versions ignore it).
  return { ...process.env, PYTHONSAFEPATH: '1', PYTHONUNBUFFERED: '1' };
}

function serverCwd(): string {
  return workspaceFolder() ?? os.homedir();
}

/**
 * A LanguageClient whose own error pop-ups are left out while the server is not running: the
 * extension reports a failed start or a crash itself, once, with the cause and the fix, and
 * "couldn't create connection to server" beside it would only repeat it. The text still goes
 * to the output channel.
 */
class MergelintClient extends LanguageClient {
  constructor(
    serverOptions: ServerOptions,
    clientOptions: LanguageClientOptions,
    private readonly quiet: () => boolean,
  ) {
    super(ID, NAME, serverOptions, clientOptions);
  }

  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    super.error(message, data, this.quiet() ? false : showNotification);
  }
}

type Status = { kind: 'starting' } | { kind: 'running'; version: string; candidate: Candidate } | { kind: 'failed'; message: string } | { kind: 'stopped' };

class MergelintServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private proc: ChildProcess | undefined;
  private procExit: Promise<void> | undefined;
  private procEnded = false;
  private readonly stderrTail = new TailBuffer(40);
  private running = false;
  private readonly policy = new CrashPolicy();
  private queue: Promise<void> = Promise.resolve();
  /** The mergelint that was found, also used by "Run merge". */
  current: { candidate: Candidate; version: string } | undefined;
  private readonly status: vscode.LanguageStatusItem;
  /** Which mergekit command the active document is for, as the server told it. */
  private readonly kindItem: vscode.LanguageStatusItem;
  private readonly kinds = new Kinds();
  private readonly listeners: vscode.Disposable[];
  private stopping = false;

  constructor(readonly log: vscode.LogOutputChannel) {
    this.status = vscode.languages.createLanguageStatusItem('mergelint.status', SELECTOR);
    this.status.name = 'mergelint';
    this.setStatus({ kind: 'stopped' });
    this.kindItem = vscode.languages.createLanguageStatusItem('mergelint.kind', SELECTOR);
    this.kindItem.name = 'mergekit command';
    this.showKind();
    this.listeners = [
      vscode.window.onDidChangeActiveTextEditor(() => this.showKind()),
      vscode.workspace.onDidCloseTextDocument((doc) => this.kinds.forget(doc.uri.toString())),
    ];
  }

  private showKind(): void {
    const { text, detail } = kindText(this.kinds.of(vscode.window.activeTextEditor?.document.uri.toString()));
    this.kindItem.text = text;
    this.kindItem.detail = detail;
  }

  /** Stop whatever runs and start afresh (serialized: concurrent calls run one after the other). */
  restart(why: string): Promise<void> {
    this.queue = this.queue.then(() => this.doRestart(why)).catch((e) => this.log.error(`Restart failed: ${String(e)}`));
    return this.queue;
  }

  stopServer(): Promise<void> {
    this.queue = this.queue.then(() => this.stop()).catch((e) => this.log.error(`Stop failed: ${String(e)}`));
    return this.queue;
  }

  private setStatus(s: Status): void {
    const item = this.status;
    item.command = { title: 'Restart', command: 'mergelint.restart' };
    switch (s.kind) {
      case 'starting':
        item.text = '$(sync~spin) mergelint';
        item.detail = 'starting';
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.busy = true;
        break;
      case 'running':
        item.text = `mergelint ${s.version}`;
        item.detail = describeCandidate(s.candidate);
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.busy = false;
        break;
      case 'failed':
        item.text = 'mergelint: not running';
        item.detail = s.message;
        item.severity = vscode.LanguageStatusSeverity.Error;
        item.busy = false;
        item.command = { title: 'Show Output', command: 'mergelint.showOutput' };
        break;
      case 'stopped':
        item.text = 'mergelint: stopped';
        item.detail = undefined;
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.busy = false;
        break;
    }
  }

  private fail(m: UserMessage): void {
    this.log.error(m.log);
    this.setStatus({ kind: 'failed', message: m.message });
    void vscode.window.showErrorMessage(m.message, 'Show Output', 'Open Settings', 'Restart Server').then((choice) => {
      if (choice === 'Show Output') {
        this.log.show(true);
      } else if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:mergelint.mergelint');
      } else if (choice === 'Restart Server') {
        void vscode.commands.executeCommand('mergelint.restart');
      }
    });
  }

  private async doRestart(why: string): Promise<void> {
    await this.stop();
    this.setStatus({ kind: 'starting' });
    this.log.info(`Starting the language server (${why}).`);
    const settings = readLaunchSettings();
    const explicit = settings.path.length > 0 || settings.interpreter.length > 0;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const python = explicit ? undefined : await selectedInterpreter(folder, this.log);
    const candidates = resolveCandidates(settings, python);
    this.log.info(`Candidates: ${candidates.map(describeCandidate).join(', ')}`);
    const found = await discover(candidates, (c) => probeCandidate(c, { cwd: serverCwd(), env: serverEnv(), timeoutMs: 20000 }));
    if (!found.ok) {
      this.current = undefined;
      this.fail(describeDiscoveryFailure(found.problems));
      return;
    }
    for (const p of found.rejected) {
      this.log.info(`Skipped: ${p.summary}${p.details ? `\n${p.details}` : ''}`);
    }
    const { candidate, version } = found;
    this.current = { candidate, version };
    this.log.info(`Found mergelint ${version}: ${describeCandidate(candidate)}`);
    const mismatch = describeIncompatibility(version, checkCompatibility(version), candidate);
    if (mismatch) {
      this.log.warn(mismatch);
      void vscode.window.showWarningMessage(mismatch);
    }
    await this.startClient(candidate, settings, version);
  }

  private async startClient(candidate: Candidate, settings: LaunchSettings, version: string): Promise<void> {
    const args = serverArgs(candidate, settings);
    // The close handler and a failed start() can both see one failure: tell the user once.
    let reported = false;
    const reportOnce = (m: UserMessage) => {
      if (!reported) {
        reported = true;
        this.fail(m);
      }
    };
    const crash = (reason: 'start-failure' | 'too-many-crashes') =>
      describeCrash(
        { candidate, exitCode: this.proc?.exitCode ?? null, signal: this.proc?.signalCode ?? null, stderrTail: this.stderrTail.toString() },
        reason,
        this.policy.maxRestarts,
      );
    const exited = () => Promise.race([this.procExit, new Promise((r) => setTimeout(r, 2000))]);
    const serverOptions: ServerOptions = () => {
      this.log.info(`Running: ${[candidate.command, ...args].join(' ')}  (cwd ${serverCwd()})`);
      this.running = false;
      this.stderrTail.clear();
      const child = spawn(candidate.command, args, { cwd: serverCwd(), env: serverEnv(), stdio: 'pipe', windowsHide: true });
      this.proc = child;
      this.procEnded = false;
      this.procExit = new Promise((resolve) => {
        child.on('error', (err) => {
          this.procEnded = true;
          this.stderrTail.push(`${err.message}\n`);
          this.log.error(`Could not start the server: ${err.message}`);
          resolve();
        });
        child.on('exit', (code, signal) => {
          this.procEnded = true;
          if (!this.stopping) {
            this.log.warn(`The server process exited (code ${code}, signal ${signal}).`);
          }
          resolve();
        });
      });
      child.stderr.on('data', (d: Buffer) => this.stderrTail.push(d.toString('utf8')));
      return Promise.resolve(child);
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: SELECTOR,
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { settings: readServerSettings() },
      synchronize: { configurationSection: ID },
      middleware: {
        workspace: {
          // answer the server's workspace/configuration for "mergelint" with the normalized settings
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            const values: unknown[] = result;
            return params.items.map((item, i) =>
              item.section === ID ? readServerSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined) : values[i],
            );
          },
        },
      },
      initializationFailedHandler: (error) => {
        this.log.error(`The server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: async () => {
          await exited(); // so that the exit code and the last of stderr are known
          const decision = this.policy.onClosed(Date.now(), this.running);
          if (decision.action === 'restart') {
            this.log.warn(`The server stopped unexpectedly; restarting it (${this.policy.recentCrashes} of ${this.policy.maxRestarts} restarts).`);
            this.setStatus({ kind: 'starting' });
            reported = false;
            return { action: CloseAction.Restart, handled: true };
          }
          reportOnce(crash(decision.reason));
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    const client = new MergelintClient(serverOptions, clientOptions, () => !this.running);
    this.client = client;
    client.onNotification(KIND_NOTIFICATION, (params: KindParams) => {
      this.kinds.update(params);
      this.showKind();
    });
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.running = true;
        this.log.info('The language server is running.');
        const info = client.initializeResult?.serverInfo;
        if (info?.version && info.version !== version) {
          this.log.warn(`The server reports version ${info.version}, "--version" said ${version}.`);
        }
        this.setStatus({ kind: 'running', version: info?.version ?? version, candidate });
      }
    });
    try {
      await client.start();
    } catch (e) {
      await exited();
      if (this.procEnded) {
        reportOnce(crash('start-failure'));
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        reportOnce({
          message: `mergelint: the language server did not start (${msg}). See the mergelint output, then run "mergelint: Restart Server".`,
          log: `Starting the client failed: ${msg}\n${this.stderrTail.toString()}`,
        });
      }
    }
  }

  private async stop(): Promise<void> {
    const client = this.client;
    const proc = this.proc;
    this.client = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.isRunning()) {
        await client.stop(3000);
      }
    } catch (e) {
      this.log.warn(`Stopping the server: ${String(e)}`);
    } finally {
      try {
        await client.dispose(500);
      } catch {
        // already stopped
      }
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill();
        await Promise.race([this.procExit, new Promise((r) => setTimeout(r, 2000))]);
      }
      this.proc = undefined;
      this.running = false;
      this.stopping = false;
      this.setStatus({ kind: 'stopped' });
    }
  }

  resetCrashes(): void {
    this.policy.reset();
  }

  dispose(): void {
    this.status.dispose();
    this.kindItem.dispose();
    for (const l of this.listeners) {
      l.dispose();
    }
  }
}

async function runMerge(server: MergelintServer): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || doc.uri.scheme !== 'file' || doc.languageId !== 'yaml') {
    void vscode.window.showWarningMessage('mergelint: open a merge config (a YAML file saved on disk) to run a merge.');
    return;
  }
  if (doc.isDirty && !(await doc.save())) {
    return;
  }
  if (!server.current) {
    await server.restart('Run merge');
    if (!server.current) {
      return; // the failure was already shown
    }
  }
  const config = doc.uri.fsPath;
  const out = await vscode.window.showInputBox({
    title: 'mergelint: Run merge',
    prompt: `Output folder for the merged model (${path.basename(config)})`,
    value: defaultMergeOutput(config),
    validateInput: (v) => (v.trim() ? undefined : 'Enter the folder to write the merged model to'),
  });
  if (!out) {
    return;
  }
  const { candidate } = server.current;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const task = new vscode.Task(
    { type: 'mergelint', command: 'run', config, output: out.trim() },
    folder ?? vscode.TaskScope.Workspace,
    `run ${path.basename(config)}`,
    'mergelint',
    new vscode.ProcessExecution(candidate.command, runArgs(candidate, config, out.trim()), { cwd: path.dirname(config), env: serverEnv() as Record<string, string> }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  await vscode.tasks.executeTask(task);
}

let server: MergelintServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel(NAME, { log: true });
  server = new MergelintServer(log);
  const s = server;
  context.subscriptions.push(
    log,
    s,
    vscode.commands.registerCommand('mergelint.restart', () => {
      s.resetCrashes();
      return s.restart('restart command');
    }),
    vscode.commands.registerCommand('mergelint.showOutput', () => log.show()),
    vscode.commands.registerCommand('mergelint.runMerge', () => runMerge(s)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const change = classifySettingsChange((section) => e.affectsConfiguration(section));
      if (change === 'restart') {
        s.resetCrashes();
        void s.restart('settings changed');
      } else if (change === 'reconfigure') {
        log.info('Settings changed; sent to the server.'); // vscode-languageclient sends didChangeConfiguration
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void s.restart('workspace trusted')),
  );
  const pyListener = await onInterpreterChanged(() => {
    const settings = readLaunchSettings();
    if (settings.path.length === 0 && settings.interpreter.length === 0) {
      s.resetCrashes();
      void s.restart('Python interpreter changed');
    }
  });
  if (pyListener) {
    context.subscriptions.push(pyListener);
  }
  void s.restart('activation');
}

export async function deactivate(): Promise<void> {
  await server?.stopServer();
}
