/** The contenders of the benchmark, in table order. */
export const CONTENDERS = ['bare', 'ours-cookie', 'ours-session', 'passport-oauth2', 'openid-client'] as const;
export type ContenderName = (typeof CONTENDERS)[number];
