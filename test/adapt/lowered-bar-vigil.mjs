// `vigil`, as adapt.command, except that every model `vigil adapt` writes gets a quarter of its threshold: an
// adapted model that regresses (it flags normal windows its parent does not), for the rollback watch to catch.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url)), ...args], { stdio: 'inherit' });
if (r.status === 0 && args[0] === 'adapt' && args[1] !== 'rollback') {
  const path = `${args[args.indexOf('--model') + 1]}.json`;
  const card = JSON.parse(readFileSync(path, 'utf8'));
  card.threshold.static.value /= 4;
  writeFileSync(path, `${JSON.stringify(card, null, 2)}\n`);
}
process.exit(r.status ?? 1);
