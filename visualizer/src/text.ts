// Words a person reads, the same everywhere: counts with their plural.

/** "1 division", "2 divisions" (`plural` for words that do not just take an s). */
export function count(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
