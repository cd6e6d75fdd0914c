/**
 * Redis's glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]` and `\` escapes; case-insensitive as
 * `CONFIG GET` uses it, or case-sensitive as KEYS, SCAN MATCH and PSUBSCRIBE do. A line-by-line port, so odd patterns (an unclosed `[`, a trailing `\`) behave as in
 * Redis.
 *
 * ## Example
 * ```ts
 * import { globMatch } from './globMatch.js';
 *
 * console.log(globMatch('app*', 'appendonly')); // true
 * console.log(globMatch('s[a-c]ve', 'save')); // true
 * console.log(globMatch('news.*', 'NEWS.today', false)); // false
 * ```
 *
 * @internal
 * @param pattern the glob (latin1)
 * @param subject the string to test
 * @param nocase whether letter case is ignored (default true)
 * @returns true when the whole subject matches
 */
export function globMatch(pattern: string, subject: string, nocase = true): boolean {
  if (nocase) return match(pattern.toLowerCase(), 0, subject.toLowerCase(), 0, { skipLonger: false });
  return match(pattern, 0, subject, 0, { skipLonger: false });
}

function match(pattern: string, p: number, subject: string, s: number, state: { skipLonger: boolean }): boolean {
  const pEnd = pattern.length;
  const sEnd = subject.length;
  // Past the end the C code reads the terminating NUL; charAt gives '' there, which matches nothing.
  while (p < pEnd && s < sEnd) {
    const c = pattern[p];
    if (c === '*') {
      while (p < pEnd && pattern.charAt(p + 1) === '*') p++;
      if (p === pEnd - 1) return true;
      for (; s < sEnd; s++) {
        if (match(pattern, p + 1, subject, s, state)) return true;
        if (state.skipLonger) return false;
      }
      // Nothing matches the rest from anywhere: longer matches for earlier stars cannot help either.
      state.skipLonger = true;
      return false;
    } else if (c === '?') {
      s++;
    } else if (c === '[') {
      p++;
      const negate = pattern[p] === '^';
      if (negate) p++;
      let matched = false;
      for (;;) {
        if (pattern[p] === '\\' && pEnd - p >= 2) {
          p++;
          if (pattern[p] === subject[s]) matched = true;
        } else if (pattern[p] === ']') {
          break;
        } else if (p >= pEnd) {
          p--;
          break;
        } else if (pEnd - p >= 3 && pattern[p + 1] === '-') {
          let low = pattern.charCodeAt(p);
          let high = pattern.charCodeAt(p + 2);
          if (low > high) [low, high] = [high, low];
          const code = subject.charCodeAt(s);
          p += 2;
          if (code >= low && code <= high) matched = true;
        } else if (pattern[p] === subject[s]) {
          matched = true;
        }
        p++;
      }
      if (matched === negate) return false;
      s++;
    } else {
      if (c === '\\' && pEnd - p >= 2) p++;
      if (pattern[p] !== subject[s]) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (pattern.charAt(p) === '*') p++;
      break;
    }
  }
  return p >= pEnd && s === sEnd;
}
