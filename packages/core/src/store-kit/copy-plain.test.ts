import { describe, expect, it } from 'vitest';
import { copyPlain } from './copy-plain';

describe('copyPlain', () => {
  it('copies JSON-like data deeply: nothing of the copy is shared with the original', () => {
    const original = {
      round: 1,
      tags: ['a', { b: [2, null, true] }],
      nested: { deep: { n: -0, s: 'x' } },
      u: undefined,
    };
    const copy = copyPlain(original);
    expect(copy).toEqual(structuredClone(original));
    expect(Object.is(copy.nested.deep.n, -0)).toBe(true);
    expect('u' in copy).toBe(true);
    copy.nested.deep.s = 'changed';
    (copy.tags[1] as { b: unknown[] }).b.push('more');
    expect(original.nested.deep.s).toBe('x');
    expect((original.tags[1] as { b: unknown[] }).b).toEqual([2, null, true]);
  });

  it('gives what structuredClone gives for values that are not plain: dates, maps, holes, cycles, null prototypes', () => {
    const when = new Date('2026-12-02T10:00:00.000Z');
    const withDate = copyPlain({ when, map: new Map([['k', 1]]) });
    expect(withDate.when).toBeInstanceOf(Date);
    expect(withDate.when).not.toBe(when);
    expect(withDate.when.toISOString()).toBe(when.toISOString());
    expect(withDate.map.get('k')).toBe(1);

    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holes = copyPlain([1, , 3]);
    expect(1 in holes).toBe(false);
    expect(holes).toHaveLength(3);

    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    const cycleCopy = copyPlain(cyclic);
    expect(cycleCopy.self).toBe(cycleCopy);
    expect(cycleCopy).not.toBe(cyclic);

    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(copyPlain(bare)).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(copyPlain(bare))).toBe(Object.prototype);
  });

  it('keeps a "__proto__" key as data and never changes the copy\'s prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = copyPlain(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('copies trees deeper than its fast path, through structuredClone', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 100; level++) deep = { child: deep };
    const copy = copyPlain(deep);
    expect(copy).toEqual(deep);
    expect(copy.child).not.toBe(deep.child);
  });

  it('throws what structuredClone throws for a function or a symbol, wherever it is', () => {
    expect(() => copyPlain({ a: [{ f: () => 1 }] })).toThrow(/could not be cloned/);
    expect(() => copyPlain({ s: Symbol('x') })).toThrow(/could not be cloned/);
  });
});
