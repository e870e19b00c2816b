// Which mergekit command a document is for, as the server tells it (the `mergelint/kind`
// notification), for the status bar. No vscode import: unit-tested under plain Node.

export const KIND_NOTIFICATION = 'mergelint/kind';

export interface KindParams {
  uri: string;
  kind: string | null;
  command: string | null;
}

/** What the kind's status item shows for a document: the command, or that it is not checked. */
export function kindText(params: KindParams | undefined): { text: string; detail: string } {
  if (params === undefined) {
    return { text: 'mergekit: …', detail: 'not checked yet' };
  }
  if (!params.command) {
    return { text: 'not a merge config', detail: 'mergelint does not check this document' };
  }
  return { text: params.command, detail: 'the command this config is for (mergelint.kind forces one)' };
}

/** The last kind told for each open document. */
export class Kinds {
  private readonly byUri = new Map<string, KindParams>();

  update(params: KindParams): void {
    this.byUri.set(params.uri, params);
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }

  of(uri: string | undefined): KindParams | undefined {
    return uri === undefined ? undefined : this.byUri.get(uri);
  }
}
