import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kinds, kindText } from '../src/kind';

describe('kind', () => {
  it('shows the command the server told for the document', () => {
    const kinds = new Kinds();
    kinds.update({ uri: 'file:///a.yml', kind: 'moe', command: 'mergekit-moe' });
    assert.equal(kindText(kinds.of('file:///a.yml')).text, 'mergekit-moe');
    kinds.update({ uri: 'file:///a.yml', kind: null, command: null });
    assert.equal(kindText(kinds.of('file:///a.yml')).text, 'not a merge config');
    kinds.forget('file:///a.yml');
    assert.equal(kinds.of('file:///a.yml'), undefined);
    assert.equal(kindText(undefined).detail, 'not checked yet');
  });
});
