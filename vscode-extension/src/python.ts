// The interpreter selected in the Python extension (ms-python.python), when it is installed.
// The extension's API is used through its exports, checked at run time, so that mergelint does
// not depend on the Python extension being present.
import * as vscode from 'vscode';

interface EnvironmentPath {
  path: string;
}
interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri };
}
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] };
    onDidChangeExecutionDetails?: vscode.Event<unknown>;
  };
}

const PYTHON_EXTENSION = 'ms-python.python';

async function api(): Promise<PythonApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!ext) {
    return undefined;
  }
  try {
    return ext.isActive ? ext.exports : await ext.activate();
  } catch {
    return undefined;
  }
}

/** The selected interpreter as argv (usually one element), or undefined. */
export async function selectedInterpreter(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string[] | undefined> {
  const py = await api();
  if (!py) {
    return undefined;
  }
  try {
    if (py.environments) {
      const active = py.environments.getActiveEnvironmentPath(resource);
      const env = await py.environments.resolveEnvironment(active);
      const exe = env?.executable?.uri?.fsPath;
      if (exe) {
        return [exe];
      }
    }
    const cmd = py.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (cmd && cmd.length > 0) {
      return cmd;
    }
  } catch (e) {
    log.warn(`Could not read the interpreter from the Python extension: ${String(e)}`);
  }
  return undefined;
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onInterpreterChanged(listener: () => void): Promise<vscode.Disposable | undefined> {
  const py = await api();
  const event = py?.environments?.onDidChangeActiveEnvironmentPath ?? py?.settings?.onDidChangeExecutionDetails;
  return event ? event(() => listener()) : undefined;
}
