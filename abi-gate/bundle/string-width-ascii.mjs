// Stand-in for `string-width` in the bundled bins (scripts/bundle-bins.mjs). The real module
// builds an Intl.Segmenter and Unicode-property regexes when it is loaded, which alone cost ~30 ms
// of a one-file scan (measured with --cpu-prof on node 22); yargs only measures the tools' own
// help text, which has no wide or zero-width character, so its length is its width.
const ANSI = /\u001b\[[0-9;]*m/g;

export default function stringWidth(text) {
  return String(text).replace(ANSI, '').length;
}
