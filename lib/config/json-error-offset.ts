/**
 * Where a JSON text stops being valid, and the top-level key being read there, so
 * a bootstrap error can say where to look. JSON.parse's own message quotes the text
 * around the error, which may be a client secret: it is never shown.
 */
export function jsonErrorOffset(text: string): { offset: number; key?: string } {
  let i = 0;
  let topKey: string | undefined;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    if (text[i] !== '"') fail();
    const start = ++i;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    return text.slice(start, i++);
  };
  const value = (depth: number): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        if (depth === 0) topKey = key;
        ws();
        if (text[i++] !== ':') {
          i--;
          fail();
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail();
    return { offset: -1 };
  } catch (at) {
    return { offset: typeof at === 'number' ? at : i, ...(topKey === undefined ? {} : { key: topKey }) };
  }
}
