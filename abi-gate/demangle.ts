/**
 * C++ culprits readable by people: `_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE`
 * becomes `std::condition_variable::wait(std::unique_lock<std::mutex>&)`. binutils' `c++filt`
 * does the work when it is on PATH (it knows every Itanium ABI corner; a demangler of our own
 * would drift from it); without it names stay mangled. All names of one report go to ONE c++filt
 * process, one per line on stdin, so a release with thousands of culprits costs one spawn.
 */
import createDebug from 'debug';

const debug = createDebug('remote-ai:abi-gate:demangle');

/** Mangled name -> readable name; names it has no entry for are shown as they are. */
export type Demangled = ReadonlyMap<string, string>;

export interface Demangler {
  demangle(names: readonly string[]): Demangled;
}

/**
 * Itanium C++ ABI names start with `_Z`; the rest is identifier characters (plus `.` for clones
 * such as `.cold`, `$` on some targets). Anything else (a hostile name with a newline) is never
 * sent, so one line in is always one line out.
 */
const MANGLED = /^_Z[A-Za-z0-9_.$]+$/;

export function isMangled(name: string): boolean {
  return MANGLED.test(name);
}

/** The system's c++filt (`env.PATH` decides which); an empty map when it is missing or fails. */
export function cxxfilt(env: NodeJS.ProcessEnv = process.env): Demangler {
  return {
    demangle(names) {
      const unique = [...new Set(names.filter(isMangled))];
      const map = new Map<string, string>();
      if (unique.length === 0) return map;
      // Loaded on the first mangled name: most scans have none, and the module costs ~2 ms of
      // every start-up (measured with --cpu-prof on node 20).
      const { spawnSync } = process.getBuiltinModule('node:child_process');
      const run = spawnSync('c++filt', [], { input: `${unique.join('\n')}\n`, encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
      if (run.error !== undefined || run.status !== 0) {
        debug('c++filt unavailable (%s): names stay mangled', run.error?.message ?? `exit ${String(run.status)}`);
        return map;
      }
      const lines = run.stdout.split('\n');
      // One line per name; anything else means a c++filt we do not understand: keep names as they are.
      if (lines.length !== unique.length + 1 || lines[unique.length] !== '') return map;
      unique.forEach((name, i) => {
        const readable = lines[i] as string;
        if (readable !== name && readable !== '') map.set(name, readable);
      });
      debug('c++filt demangled %d of %d names', map.size, unique.length);
      return map;
    },
  };
}

/** No demangling (tests, and callers that want mangled output). */
export const noDemangler: Demangler = { demangle: () => new Map() };

/** `symbol` as people read it: the demangled form when there is one. */
export function readable(symbol: string, names: Demangled): string {
  const found = names.get(symbol);
  return found === undefined ? symbol : shortStdTypes(found);
}

/**
 * c++filt spells the standard library's typedefs out with every template argument, so one
 * `std::string` method fills a line (`std::__cxx11::basic_string<char, std::char_traits<char>,
 * std::allocator<char> >::find(...)`). Human output puts the typedefs back, as libstdc++'s headers
 * name them, keeping `__cxx11`: that namespace is the new string ABI, which is exactly what raises
 * a file to GLIBCXX_3.4.21. `--json`'s `demangled` stays c++filt's text.
 */
const STD_TYPEDEFS: readonly (readonly [string, string])[] = [
  ['std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >', 'std::__cxx11::string'],
  ['std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >', 'std::__cxx11::wstring'],
  ['std::basic_string<char, std::char_traits<char>, std::allocator<char> >', 'std::string'],
  ['std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >', 'std::wstring'],
  ['std::__cxx11::basic_ostringstream<char, std::char_traits<char>, std::allocator<char> >', 'std::__cxx11::ostringstream'],
  ['std::__cxx11::basic_istringstream<char, std::char_traits<char>, std::allocator<char> >', 'std::__cxx11::istringstream'],
  ['std::__cxx11::basic_stringstream<char, std::char_traits<char>, std::allocator<char> >', 'std::__cxx11::stringstream'],
  ['std::basic_ostream<char, std::char_traits<char> >', 'std::ostream'],
  ['std::basic_istream<char, std::char_traits<char> >', 'std::istream'],
  ['std::basic_iostream<char, std::char_traits<char> >', 'std::iostream'],
  ['std::basic_streambuf<char, std::char_traits<char> >', 'std::streambuf'],
];

export function shortStdTypes(name: string): string {
  let short = name;
  for (const [long, typedef] of STD_TYPEDEFS) if (short.includes(long)) short = short.replaceAll(long, typedef);
  return short;
}

/**
 * Mangled names inside a composed message (`..., _ZNSt...E@GLIBCXX_3.4.30 from libstdc++.so.6`)
 * replaced by their readable form. Only whole tokens (bounded by the start, a space, `(` or `,`)
 * that the map knows are touched.
 */
export function demangleText(text: string, names: Demangled): string {
  if (names.size === 0) return text;
  return text.replace(/(^|[\s(,])(_Z[A-Za-z0-9_.$]+)/g, (whole, lead: string, name: string) => {
    const found = names.get(name);
    return found === undefined ? whole : `${lead}${shortStdTypes(found)}`;
  });
}

/** Every `_Z...` token in some texts: what `demangleText` will need, for one batched call. */
export function mangledTokens(texts: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(/(?:^|[\s(,])(_Z[A-Za-z0-9_.$]+)/g)) found.add(match[1] as string);
  return [...found];
}

/**
 * A JSON value with `demangled` added beside every culprit's `symbol` (an object with a `symbol`
 * and a `version`): the readable name, or null when the symbol is not a C++ name or c++filt is
 * absent. `symbol` itself is never changed: `--json` is a contract.
 */
export function withDemangled<T>(value: T, names: Demangled): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(v)) out[key] = walk(inner);
    if ('symbol' in out && 'version' in out && (typeof out.symbol === 'string' || out.symbol === null)) {
      out.demangled = typeof out.symbol === 'string' ? (names.get(out.symbol) ?? null) : null;
    }
    return out;
  };
  return walk(value) as T;
}

/** Every culprit symbol in a JSON value, for one batched demangle call before `withDemangled`. */
export function culpritSymbols(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.symbol === 'string' && 'version' in o) found.add(o.symbol);
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return [...found];
}

/** `withDemangled` with the names of `value` demangled in one call. */
export function demangleJson<T>(value: T, demangler: Demangler = cxxfilt()): T {
  return withDemangled(value, demangler.demangle(culpritSymbols(value)));
}
