/**
 * Pick an execution provider by priority: try each in order, fall back on failure, and when all fail throw
 * one error that lists every cause (after onnxruntime's `resolveBackend`).
 */
import type { InferenceBackend, ResolvedSession, SessionRequest } from './backend.ts';
import { OrtNodeBackend } from './ort-node.ts';
import { OrtWebBackend } from './ort-web.ts';

/** Provider names accepted in config. `wasm` is onnxruntime-web; the others are onnxruntime-node EPs. */
export const KNOWN_PROVIDERS = ['webgpu', 'cuda', 'tensorrt', 'cpu', 'wasm'] as const;

/** Build the backend for a provider name; unknown names are rejected with the list of known ones. */
export function backendFor(name: string): InferenceBackend {
  if (name === 'wasm') return new OrtWebBackend();
  if ((KNOWN_PROVIDERS as readonly string[]).includes(name)) return new OrtNodeBackend(name);
  throw new Error(`unknown execution provider '${name}'; expected one of ${KNOWN_PROVIDERS.join(', ')}`);
}

/** Open a session on the first provider that works. */
export async function resolveSession(providers: string[], req: SessionRequest): Promise<ResolvedSession> {
  if (providers.length === 0) throw new Error('no execution providers given; expected a list such as [webgpu, cpu]');
  const failures: { provider: string; reason: string }[] = [];
  for (const name of providers) {
    try {
      const session = await backendFor(name).open(req);
      return { session, provider: session.provider, failures };
    } catch (err) {
      failures.push({ provider: name, reason: (err as Error).message.split('\n')[0] });
    }
  }
  throw new Error(`no execution provider could run the model:\n${failures.map((f) => `  ${f.provider}: ${f.reason}`).join('\n')}`);
}
