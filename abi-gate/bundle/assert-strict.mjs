// Stand-in for `assert` in the bundled CLIs. yargs imports `strictEqual` and `notStrictEqual` for
// its own sanity checks; Node's assert module loads its AssertionError, which reads terminal
// colours from process.stderr and so builds that stream: ~3 ms of `abi-gate scan x.node`
// (measured with --cpu-prof on node 20). Same comparison (Object.is), a plain Error.
function fail(message, fallback) {
  if (message instanceof Error) throw message;
  throw new Error(message ?? fallback);
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`);
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, `Expected "actual" to be strictly unequal to: ${String(expected)}`);
}

export default { strictEqual, notStrictEqual };
