// Scratch: in-window max score of each recipe (seed 42) for named windows.
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { corpus, recipeScores } from './score.mts';
const [recipes, seedArg = '42'] = process.argv.slice(2);
const want: Array<[string, number]> = [['nyc_taxi', 1], ['ec2_cpu_utilization_fe7f93', 2], ['ec2_disk_write_bytes_c0d644', 2], ['rogue_agent_key_updown', 0], ['rogue_agent_key_updown', 1], ['NetworkIn', 1], ['Twitter_volume_GOOG', 1], ['exchange-4_cpm', 1], ['exchange-4_cpc', 1]];
const rs = recipes.split(',');
const sc = rs.map((r) => recipeScores(r, Number(seedArg)));
console.log(['window', ...rs].join('\t'));
for (const [name, w] of want) {
  const f = corpus.files.find((x) => x.path.includes(name))!;
  const [a, b] = f.windows[w];
  console.log([`${name} w${w}`, ...sc.map((s) => { let m = 0; for (let i = a; i <= b; i++) m = Math.max(m, s.get(f.path)![i]); return m.toFixed(3); })].join('\t'));
}
