// Forgejo's byte-limited truncation (names, titles): cut at a rune boundary at
// or below limit-3 bytes and append "…".
export function truncateBytes(s: string, limit: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= limit) return s;
  let end = limit - 3;
  // step back over UTF-8 continuation bytes so no character is split
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '…';
}
