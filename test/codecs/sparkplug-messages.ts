/** A Sparkplug edge node's messages for the codec tests: node `plant/edge1`, device `pump7`, one channel `value`. */
import { get as getSparkplug } from 'sparkplug-payload';
import { isRejected, type DecodeResult } from '../../runtime/codecs/index.ts';

export const spb = getSparkplug('spBv1.0')!;
export const T0 = 1_700_000_000_000;
export const where = { sensor: 'plant:edge1:pump7' };
export const topic = (type: string, device = true) => `spBv1.0/plant/${type}/edge1${device ? '/pump7' : ''}`;
export const msg = (type: string, p: object, at: number, device = true) => ({ topic: topic(type, device), payload: spb.encodePayload(p as never), receivedAt: at });
export const values = (r: DecodeResult) => (isRejected(r) ? r.reason : r.map((x) => x.values));
export const nbirth = (seq: number, at: number) => msg('NBIRTH', { timestamp: at, seq, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }, at, false);
export const dbirth = (seq: number, at: number) => msg('DBIRTH', { timestamp: at, seq, metrics: [{ name: 'value', alias: 1, type: 'Double', value: 1 }] }, at);
export const ddata = (seq: number, at: number, v = 2) => msg('DDATA', { timestamp: at, seq, metrics: [{ alias: 1, type: 'Double', value: v }] }, at);
