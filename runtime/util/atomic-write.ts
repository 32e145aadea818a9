/**
 * Files replaced whole or not at all: write a temp file beside the target, fsync it, rename it over the target,
 * fsync the folder. A kill at any point leaves the previous file intact (and at worst a stray `*.tmp`), never a
 * truncated one; readers see the old file or the new one.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { closeSync, createWriteStream, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';

let counter = 0;
/** A temp name in the target's folder (rename is atomic only within one filesystem). */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${++counter}.tmp`;
}

/** Whether another process with this pid is running now (its temp file may still be being written). */
function otherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, only not ours to signal
  }
}

/**
 * Remove the temp files (`tempPathFor` names) that a killed writer left beside `path`; those of another process
 * still running are kept. Call it before writing `path` again. Returns how many were removed.
 */
export function removeStaleTemps(path: string): number {
  const base = basename(path);
  const dir = dirname(path);
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no folder yet: nothing to clean
  }
  for (const f of names) {
    if (!f.startsWith(`${base}.`) || !f.endsWith('.tmp')) continue;
    const pid = Number(/^\.(\d+)\.\d+\.tmp$/.exec(f.slice(base.length))?.[1]);
    if (Number.isInteger(pid) && otherLiveProcess(pid)) continue;
    try {
      unlinkSync(join(dir, f));
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** fsync a folder so a rename in it survives a power cut; some filesystems refuse, the rename is atomic anyway. */
export function syncFolder(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here
  }
}

/** Write `data` to `path` atomically. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  replaceWith(tmp, path);
}

/** `writeFileAtomic` without holding the event loop: the same steps, each awaited. */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  await writeAtomicAsync(path, (fh) => fh.writeFile(data));
}

/** Replace `path` with what `fill` writes to a temp file beside it (then fsync, rename, folder fsync); on failure the temp file goes. */
export async function writeAtomicAsync(path: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fill(fh);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncFolderOf(path);
}

/**
 * Write all of `data` at `position`: one write may take fewer bytes than asked (a disk full for a moment, a file size
 * limit), and a caller writing the next piece further on would leave a hole of zeros behind it.
 */
export async function writeAllAt(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`nothing written at byte ${position + done} of the file`);
    done += bytesWritten;
  }
}

/** fsync the folder of `path` (awaited); some filesystems refuse, the rename is atomic anyway. */
async function syncFolderOf(path: string): Promise<void> {
  try {
    const d = await open(dirname(path), 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // Some filesystems refuse a folder's fsync; the rename is atomic anyway.
  }
}

/** Rename the finished temp file over `path` and fsync the folder; if that fails the temp file is removed. */
function replaceWith(tmp: string, path: string, before: () => void = () => {}): void {
  try {
    before();
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  syncFolder(path);
}

/** A stream whose file replaces `path` only on `commit()`. */
export interface AtomicWriteStream {
  /** Write here (respect its backpressure). */
  stream: WriteStream;
  /** End the stream, fsync, and rename the temp file over the target. */
  commit(): Promise<void>;
  /** Drop the temp file; the target stays as it was. */
  abort(): Promise<void>;
}

/** fsync a closed file by path (any descriptor of a file flushes its data). */
function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Open a write stream to a temp file beside `path` (removing temp files that killed writers left there). */
export function atomicWriteStream(path: string): AtomicWriteStream {
  removeStaleTemps(path); // what a killed earlier run left (a 420 MB score output would otherwise stay)
  const tmp = tempPathFor(path);
  const stream = createWriteStream(tmp, { mode: 0o644 });
  const closed = once(stream, 'close').catch(() => {});
  let failure: Error | undefined;
  stream.on('error', (err) => (failure ??= err));
  return {
    stream,
    async commit() {
      stream.end();
      await closed;
      if (failure) {
        removeQuietly(tmp);
        throw failure;
      }
      replaceWith(tmp, path, () => syncFile(tmp));
    },
    async abort() {
      stream.destroy();
      await closed;
      removeQuietly(tmp);
    },
  };
}
