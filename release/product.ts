/**
 * The server's `product.json`: its `commit` is the folder the resolver installs the release into
 * (`~/.remote-ai-server/bin/<commit>`), so packager sets it and doctor compares it with the
 * manifest and the file name. One reading of the file for both.
 */

export type ProductJson =
  | { ok: true; product: Record<string, unknown> }
  | { ok: false; error: string };

/** Parses product.json text; anything but a JSON object is an error with its reason. */
export function parseProductJson(text: string): ProductJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'not a JSON object' };
  return { ok: true, product: parsed as Record<string, unknown> };
}

export type ProductCommit = { commit: string; error: null } | { commit: null; error: string };

/** The commit a release's product.json names (null text: the file is missing). */
export function productCommit(text: string | null): ProductCommit {
  if (text === null) return { commit: null, error: 'product.json is missing, so its commit cannot be compared' };
  const parsed = parseProductJson(text);
  if (!parsed.ok) return { commit: null, error: `product.json is ${parsed.error}` };
  const commit = parsed.product.commit;
  return typeof commit === 'string' ? { commit, error: null } : { commit: null, error: 'product.json has no commit' };
}
