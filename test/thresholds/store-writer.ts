/**
 * Child process for the crash test: saves threshold states (about 4 MB) to the file named in argv[2] in a
 * loop, printing `saved N` after each save, until it is killed (SIGKILL, at an arbitrary point of a write).
 */
import { saveStates, type SensorState } from '../../runtime/thresholds/store.ts';

const path = process.argv[2];
const states: Record<string, SensorState> = {};
for (let s = 0; s < 400; s++) {
  states[`sensor-${s}`] = { threshold: { kind: 'quantile', config: { kind: 'quantile', gen: 0 }, state: { values: Array.from({ length: 500 }, (_, i) => s + i / 1000 + Math.random()) } } };
}
for (let gen = 1; ; gen++) {
  for (const st of Object.values(states)) st.threshold.config.gen = gen;
  await saveStates(path, states);
  process.stdout.write(`saved ${gen}\n`);
}
