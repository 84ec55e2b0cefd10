import { isUtf8 } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import { firstDuplicateKey, invalidUtf8At } from './index.js';

describe('invalidUtf8At', () => {
  test('agrees with node:buffer isUtf8 (simdutf) on 20,000 seeded random byte strings', () => {
    // A small LCG so a failure is reproducible; short strings biased to the lead/continuation bytes.
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const pool = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f];
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(Array.from({ length: next() % 8 }, () => (next() % 3 === 0 ? next() % 256 : (pool[next() % pool.length] as number))));
      expect(invalidUtf8At(bytes) === -1, bytes.toString('hex')).toBe(isUtf8(bytes));
    }
  });

  test('names the first bad byte: overlong, surrogate, past U+10FFFF, cut short, stray continuation', () => {
    expect(invalidUtf8At(Buffer.from('héllo'))).toBe(-1);
    expect(invalidUtf8At(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1);
    expect(invalidUtf8At(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
    expect(invalidUtf8At(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
    expect(invalidUtf8At(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
    expect(invalidUtf8At(Buffer.from([0x80]))).toBe(0);
  });
});

describe('firstDuplicateKey', () => {
  test('finds a key twice at any depth, compared decoded, and says where', () => {
    expect(firstDuplicateKey('{"a":1,"b":{"c":[1,{"d":1,"e":2}]}}')).toBeNull();
    expect(firstDuplicateKey('{"a":1,"a":2}')).toEqual({ key: 'a', at: '/' });
    expect(firstDuplicateKey('{"x":[{},{"k":1,"\\u006b":2}]}')).toEqual({ key: 'k', at: '/x/1' });
    expect(firstDuplicateKey('{"a/b":{"q":"\\"","q":0}}')).toEqual({ key: 'q', at: '/a~1b' });
  });

  test('the same key in sibling objects and string values that look like keys are not duplicates', () => {
    expect(firstDuplicateKey('[{"a":1},{"a":2}]')).toBeNull();
    expect(firstDuplicateKey('{"a":"a","b":["a","a"],"c":{"a":"b"}}')).toBeNull();
    expect(firstDuplicateKey('{"a":{},"b":[{}, "a"],"c":1}')).toBeNull();
  });
});
