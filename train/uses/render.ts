/**
 * Write a picture by its extension: `.svg` as is, `.html` as a self-contained page with the SVG inline,
 * `.png` rasterised by resvg (a prebuilt native binary from npm, no browser, no system libraries).
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { esc } from '@vigil/plot';

/** Extensions `writePicture` understands. */
export const PICTURE_EXTENSIONS = ['.png', '.svg', '.html'] as const;

/** Check an output path names a picture format before any work is done. */
export function checkPicturePath(path: string, flag = '--out'): void {
  const ext = extname(path).toLowerCase();
  if (!(PICTURE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new Error(`${flag} '${path}': expected a file ending in ${PICTURE_EXTENSIONS.join(', ')}`);
  }
}

/** Rasterise an SVG at `scale` x its size (system fonts, DejaVu/Liberation where present). */
export async function svgToPng(svg: string, scale = 1.5): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js').catch((err: unknown) => {
    throw new Error(`PNG output needs @resvg/resvg-js (npm install); write .svg or .html instead. Cause: ${err instanceof Error ? err.message : String(err)}`);
  });
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return r.render().asPng();
}

/** Write `svg` to `path` in the format its extension names; `notes` become paragraphs under the picture in HTML. */
export async function writePicture(path: string, svg: string, title: string, notes: string[] = []): Promise<void> {
  checkPicturePath(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') writeFileSync(path, svg);
  else if (ext === '.png') writeFileSync(path, await svgToPng(svg));
  else {
    writeFileSync(path, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1040px}svg{max-width:100%;height:auto;border:1px solid #ddd}p{color:#444}</style>
</head><body>
${svg}
${notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
</body></html>
`);
  }
}
