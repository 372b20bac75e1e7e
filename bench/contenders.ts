/** The contenders of the benchmark, in table order. */
export const CONTENDERS = ['bare', 'ours-cookie', 'ours-session', 'passport-oauth2', 'openid-client'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** The contenders that are not us: every ratio of ours is also given against these. */
export const ANCHORS = ['passport-oauth2', 'openid-client'] as const satisfies readonly ContenderName[];

export function isContender(name: string | undefined): name is ContenderName {
  return (CONTENDERS as readonly string[]).includes(name ?? '');
}
