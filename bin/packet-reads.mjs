/**
 * mqtt-packet parses the socket stream held in a `bl` BufferList, and reads each packet's header byte, its length
 * bytes, its topic's length and its topic through the list's `readUInt8`, `readUInt16BE` and `toString`, each of
 * which slices a Buffer out of the list first (`this.slice(offset, offset + 1).readUInt8(0)`): five or more Buffer
 * objects, about 400 bytes of garbage per MQTT reading at 10,000 readings/s, a tenth of all that `vigil run`
 * allocated (bench/allocation.ts: `copy BufferList.js` under mqtt-packet's `_parseLength` and `_parseHeader`).
 * bin/vigil.mjs has them read in place when the bytes lie in the list's first buffer (where every packet starts,
 * but for one that began in an earlier socket read), and as before otherwise: same values, same errors.
 */
import { createRequire } from 'node:module';

/** Packages whose BufferList is made to read in place: a chain from our package to mqtt-packet (npm may nest one). */
export const PACKET_READ_CHAINS = [['mqtt', 'mqtt-packet']];

/**
 * Make the BufferList that mqtt-packet parses with, as resolved along each of `chains` from `from` (a file or folder
 * URL), read in place. Returns how many BufferList classes were changed; one that cannot be resolved, or is not the
 * list this expects, is left as it is.
 */
export function packetReads(from = new URL('../package.json', import.meta.url), chains = PACKET_READ_CHAINS) {
  let changed = 0;
  for (const chain of chains) {
    let proto;
    try {
      let req = createRequire(from);
      for (const pkg of chain.slice(0, -1)) req = createRequire(req.resolve(pkg));
      // The parser's own list: the very class mqtt-packet uses, whichever copy of `bl` it resolves.
      proto = Object.getPrototypeOf(req(chain.at(-1)).parser()._list);
    } catch {
      continue;
    }
    if (!proto || proto.readsInPlace || typeof proto.slice !== 'function' || !READS.every(([m]) => typeof proto[m] === 'function')) continue;
    for (const [method, size, read] of READS) inPlace(proto, method, size, read);
    const toString = proto.toString;
    proto.toString = function (encoding, start, end) {
      const first = this._bufs?.[0];
      if (Buffer.isBuffer(first) && Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= first.length) return first.toString(encoding, start, end);
      return toString.call(this, encoding, start, end);
    };
    Object.defineProperty(proto, 'readsInPlace', { value: true });
    changed++;
  }
  return changed;
}

/** The reads mqtt-packet makes of its list: method, bytes read, and the read from a buffer at an offset. */
const READS = [
  ['readUInt8', 1, (b, o) => b[o]],
  ['readUInt16BE', 2, (b, o) => (b[o] << 8) | b[o + 1]],
  ['readUInt32BE', 4, (b, o) => b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])],
];

/** `proto[method]` reading from the first buffer when the bytes lie there, else as before. */
function inPlace(proto, method, size, read) {
  const slow = proto[method];
  proto[method] = function (offset = 0) {
    const first = this._bufs?.[0];
    if (first !== undefined && Number.isInteger(offset) && offset >= 0 && offset + size <= first.length) return read(first, offset);
    return slow.call(this, offset);
  };
}
