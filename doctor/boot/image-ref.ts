import { ToolError } from '../../abi-gate/index.js';

/*
 * Docker's reference grammar (distribution/reference, regexp.go): [domain[:port]/]path[:tag][@digest],
 * path components lowercase, the name at most 255 characters. Checked before any engine is asked,
 * so a typo is a usage error, not a failed boot. (Kept apart from image.ts: the CLI checks it
 * without loading the Docker client.)
 */
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*)(?::${TAG})?(?:@${DIGEST})?$`);

/** Returns `ref`, or throws a usage error (exit 2) for a string that cannot name an image. */
export function checkImageRef(ref: string): string {
  const match = REFERENCE.exec(ref);
  if (match === null || (match[1] ?? '').length > 255) {
    throw new ToolError('USAGE', `--image ${JSON.stringify(ref)}: not an image reference`, {
      hint: 'use [registry/]name[:tag][@sha256:digest] with a lowercase name, e.g. remote-ai-test/bullseye:0eab2d03863d',
      exitCode: 2,
    });
  }
  return ref;
}
