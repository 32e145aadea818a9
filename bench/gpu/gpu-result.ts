/**
 * The runner's gpu.json (bench/gpu/run-gpu.mjs) validated at the edge, and turned into a `BenchResult`: one
 * windows/s-vs-batch plot per model (webgpu vs cpu, log-log), the webgpu/cpu speed-up, a table, and notes that
 * name the device and say plainly when the GPU path did not run.
 */
import { z } from 'zod';
import type { BenchResult, Figure, MachineInfo } from '../lib/result.ts';

const Timed = z.object({
  provider: z.string(), batch: z.number().int().positive(), msPerRun: z.number().positive(), windowsPerSec: z.number().nonnegative(),
  samples: z.number().int(), runsPerSample: z.number().int(), minMs: z.number(), maxMs: z.number(),
});
const Failed = z.object({ provider: z.string(), batch: z.number().int().positive(), error: z.string() });
const Session = z.object({ ok: z.boolean(), createMs: z.number().optional(), error: z.string().optional(), timed: z.boolean() });

/** What run-gpu.mjs writes (format vigil-gpu-bench, version 1). */
export const GpuRunSchema = z.object({
  format: z.literal('vigil-gpu-bench'),
  version: z.literal(1),
  startedAt: z.string(),
  seconds: z.number(),
  complete: z.boolean(),
  device: z.object({
    hostname: z.string(), os: z.string(), cpu: z.string(), cores: z.number(), memGiB: z.number(), node: z.string(), onnxruntime: z.string(),
    gpus: z.array(z.object({ name: z.string(), driver: z.string().optional(), memory: z.string().optional(), bus: z.string().optional(), computeCap: z.string().optional() })),
    nvidiaSmi: z.string().nullable(),
    nvidiaSmiError: z.string().optional(),
    vulkanIcd: z.string().nullable(),
    vulkanLoader: z.string().nullable().optional(),
    loadAverage: z.array(z.number()),
    loadAverageAfter: z.array(z.number()).optional(),
  }).loose(),
  options: z.object({ providers: z.array(z.string()), batches: z.array(z.number()), cpuThreads: z.union([z.number(), z.string()]) }).loose(),
  models: z.array(z.object({
    name: z.string(), description: z.string(), sha256: z.string(), window: z.number(), channels: z.number(),
    sessions: z.record(z.string(), Session),
    points: z.array(z.union([Timed, Failed])),
    parity: z.array(z.object({ provider: z.string(), batch: z.number(), maxAbsDiff: z.number(), maxAbsOutput: z.number() })),
  }).loose()),
  skipped: z.array(z.object({ model: z.string(), batch: z.number(), reason: z.string() })),
});

/** A validated gpu.json. */
export type GpuRun = z.infer<typeof GpuRunSchema>;
type TimedPoint = z.infer<typeof Timed>;

/** Parse gpu.json text, or throw one error that says what was wrong and where. */
export function parseGpuRun(text: string, source: string): GpuRun {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message}); expected the gpu.json that bench/gpu/run-gpu.mjs writes`);
  }
  const r = GpuRunSchema.safeParse(json);
  if (!r.success) throw new Error(`${source}: not a vigil-gpu-bench v1 file: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

const isTimed = (p: GpuRun['models'][number]['points'][number]): p is TimedPoint => 'windowsPerSec' in p;

/** Timed webgpu points anywhere in the run: zero means no GPU number was measured. */
export function webgpuPointCount(run: GpuRun): number {
  return run.models.reduce((s, m) => s + m.points.filter((p) => isTimed(p) && p.provider === 'webgpu').length, 0);
}

/** The useful sentence of an ONNX Runtime error (its messages start with a source path and a lambda signature). */
export function shortReason(error: string): string {
  const line = error.split('\n')[0];
  const i = line.lastIndexOf(' was false. ');
  return (i >= 0 ? line.slice(i + ' was false. '.length) : line).trim();
}

/** The device line for the result's machine, GPU first. */
export function machineOf(run: GpuRun): MachineInfo {
  const d = run.device;
  const g = d.gpus[0];
  const webgpu = run.models.map((m) => m.sessions.webgpu).find(Boolean);
  const accelerator = g && webgpuPointCount(run) > 0
    ? `${d.gpus.length > 1 ? `${d.gpus.length}x ` : ''}${g.name} (driver ${g.driver ?? '?'}, ${g.memory ?? '?'}) via ONNX Runtime ${d.onnxruntime} WebGPU EP`
    : `none used${g ? ` (GPU present: ${g.name})` : ''}: WebGPU EP ${webgpu && !webgpu.ok ? `failed: ${shortReason(webgpu.error ?? '')}` : 'not timed'}`;
  return { cpu: d.cpu, cores: d.cores, memGiB: d.memGiB, node: d.node, os: d.os, accelerator };
}

const fmtX = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

/** Build the BenchResult for `run`, saved as `name` (gpu, or gpu-dryrun-* when no GPU was measured). */
export function toBenchResult(run: GpuRun, name: string): BenchResult {
  const measured = webgpuPointCount(run) > 0;
  // GPU first, then CPU, then anything else: the same colours in every plot.
  const rank = (p: string) => (p === 'webgpu' ? 0 : p === 'cpu' ? 1 : 2);
  const providers = [...new Set(run.models.flatMap((m) => m.points.filter(isTimed).map((p) => p.provider)))].sort((a, b) => rank(a) - rank(b));
  const machine = machineOf(run);
  const figures: Figure[] = run.models.map((m) => ({
    id: `${m.name}-throughput`,
    title: `${m.description}: windows/s vs batch size${measured ? '' : ' (dry run, CPU EP only)'}`,
    kind: 'line',
    xLabel: 'batch size (windows)',
    yLabel: 'windows / s',
    logX: true,
    logY: true,
    series: providers.map((p) => ({ name: `${p} EP`, points: m.points.filter(isTimed).filter((q) => q.provider === p).map((q) => [q.batch, q.windowsPerSec] as [number, number]) })).filter((s) => s.points.length),
    caption: measured
      ? 'Medians of timed samples, providers interleaved in one process; host tensors in and out on every call, as the runtime uses them.'
      : `Dry run: no GPU measured (${machine.accelerator}). CPU EP only, on ${machine.cpu} x${machine.cores}.`,
  }));
  const speedups = run.models.map((m) => {
    const at = (p: string, b: number) => m.points.filter(isTimed).find((q) => q.provider === p && q.batch === b);
    const pts = run.options.batches.flatMap((b) => {
      const g = at('webgpu', b);
      const c = at('cpu', b);
      return g && c ? [[b, g.windowsPerSec / c.windowsPerSec] as [number, number]] : [];
    });
    return { model: m, pts };
  });
  if (speedups.some((s) => s.pts.length)) {
    const xs = speedups.flatMap((s) => s.pts.map((p) => p[0]));
    figures.push({
      id: 'speedup',
      title: 'WebGPU EP / CPU EP windows/s, same run',
      kind: 'line', xLabel: 'batch size (windows)', yLabel: 'speed-up (x)', logX: true, logY: true,
      series: [...speedups.map((s) => ({ name: s.model.name, points: s.pts })), { name: 'break-even', points: [[Math.min(...xs), 1], [Math.max(...xs), 1]] as Array<[number, number]> }],
      caption: 'Above 1 the GPU is faster. Ratios are within one run on one machine.',
    });
  }
  const rows = run.models.flatMap((m) => run.options.batches.map((b) => {
    const c = m.points.filter(isTimed).find((q) => q.provider === 'cpu' && q.batch === b);
    const g = m.points.filter(isTimed).find((q) => q.provider === 'webgpu' && q.batch === b);
    const par = m.parity.find((q) => q.provider === 'webgpu' && q.batch === b);
    return [m.name, b, c?.windowsPerSec ?? '', g?.windowsPerSec ?? '', c && g ? +(g.windowsPerSec / c.windowsPerSec).toFixed(2) : '', c ? +c.msPerRun.toPrecision(4) : '', g ? +g.msPerRun.toPrecision(4) : '', par ? +par.maxAbsDiff.toExponential(2) : ''];
  }));
  const notes: string[] = [];
  const d = run.device;
  if (!measured) notes.push(`**Dry run, no GPU number here.** Made on ${d.hostname} (${d.cpu} x${d.cores}): the WebGPU EP could not run, so only the CPU EP was timed. Real results come from \`npm run bench:gpu\` on a lent GPU machine (bench/README.md).`);
  notes.push(d.gpus.length ? `Device: ${d.gpus.map((g) => `${g.name}, driver ${g.driver}, ${g.memory}, compute capability ${g.computeCap}`).join('; ')}; host ${d.cpu} x${d.cores}, ${d.memGiB} GiB; ${d.os}; Vulkan loader ${d.vulkanLoader ?? 'not installed'}, ICD ${d.vulkanIcd ?? 'default'}.` : `Device: no NVIDIA GPU (${d.nvidiaSmiError ?? 'nvidia-smi printed nothing'}); ${d.cpu} x${d.cores}, ${d.memGiB} GiB; ${d.os}; Vulkan loader ${d.vulkanLoader ?? 'not installed'}.`);
  notes.push(`onnxruntime-node ${d.onnxruntime}, Node ${d.node}; CPU EP threads: ${run.options.cpuThreads}; timed providers: ${run.options.providers.join(', ')}; load average before ${d.loadAverage.join(' ')}${d.loadAverageAfter ? `, after ${d.loadAverageAfter.join(' ')}` : ''}.`);
  for (const m of run.models) {
    for (const [p, s] of Object.entries(m.sessions)) if (!s.ok) notes.push(`${m.name}: ${p} EP failed to open: ${shortReason(s.error ?? '')}`);
    for (const f of m.points.filter((q) => !isTimed(q))) notes.push(`${m.name}: ${f.provider} failed at batch ${f.batch}: ${shortReason((f as { error: string }).error)}`);
    const sp = speedups.find((s) => s.model === m)!.pts;
    if (sp.length) {
      const cross = sp.find((p) => p[1] > 1);
      const best = sp.reduce((a, b) => (b[1] > a[1] ? b : a));
      const par = Math.max(...m.parity.filter((q) => q.provider === 'webgpu').map((q) => q.maxAbsDiff));
      notes.push(`${m.name}: WebGPU ${cross ? `faster than CPU from batch ${cross[0]}` : 'never faster than CPU'}; best ${fmtX(best[1])}x at batch ${best[0]}; ${sp[0][1] < 1 ? `${fmtX(1 / sp[0][1])}x slower` : `${fmtX(sp[0][1])}x faster`} at batch ${sp[0][0]}. Outputs agree with the CPU EP to max |diff| ${par.toExponential(1)}.`);
    }
  }
  for (const s of run.skipped) notes.push(`${s.model} batch ${s.batch} not measured: ${s.reason}.`);
  if (!run.complete) notes.push('The run did not finish every point (see above).');
  return {
    name,
    title: measured ? `GPU inference: ONNX Runtime WebGPU EP vs CPU EP on ${d.gpus[0]?.name ?? 'a GPU'}` : `GPU bench dry run (no GPU measured; CPU EP on ${d.cpu} x${d.cores})`,
    machine,
    startedAt: run.startedAt,
    seconds: run.seconds,
    figures,
    tables: [{ title: 'Per model and batch size', columns: ['model', 'batch', 'cpu windows/s', 'webgpu windows/s', 'webgpu / cpu', 'cpu ms/batch', 'webgpu ms/batch', 'max abs diff webgpu vs cpu'], rows }],
    notes,
    data: run,
  };
}
