/** Shows only the first characters: enough to tell tokens apart, useless to a thief. */
export function maskToken(token: string): string {
  return token.length <= 8 ? '••••' : `${token.slice(0, 4)}…(${token.length} chars)`;
}
