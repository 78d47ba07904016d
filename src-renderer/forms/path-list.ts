// Paths from user input: a textarea (one per line) or text dropped from a file manager (file:// URI list).
// A browser cannot read a dropped File's path; file managers also drop the path/URI as text, which works everywhere.

/** Split pasted or dropped text into local paths: trims, drops blanks/comments, decodes file:// URIs. */
export function parsePathList(text: string): string[] {
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    if (line.startsWith('file://')) {
      try {
        out.push(decodeURIComponent(new URL(line).pathname))
      } catch {
        out.push(line)
      }
    } else out.push(line)
  }
  return [...new Set(out)]
}
