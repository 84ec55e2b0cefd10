// Stand-in for `debug` in the bundled CLIs: the same package, loaded and asked for a namespace
// only when DEBUG is set and the namespace first prints. Loading debug requires `tty`, and its
// createDebug asks whether stderr is a terminal, which builds process.stderr: together ~2 ms of
// every `abi-gate scan x.node`, DEBUG or not (measured with --cpu-prof on node 20).
const made = new Map();

export default function lazyDebug(namespace) {
  return (...args) => {
    // debug enables nothing without DEBUG (it reads the variable once, when loaded).
    if ((process.env.DEBUG ?? '') === '') return;
    if (!made.has(namespace)) made.set(namespace, require('debug')(namespace));
    made.get(namespace)(...args);
  };
}
