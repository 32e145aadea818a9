/**
 * mqtt-packet logs through `debug` about twenty times per packet it parses, and a `debug` logger gathers its
 * arguments into an array (`debug(...args)`) before it checks whether it is enabled: about 500 bytes of garbage per
 * MQTT reading, a tenth of all that `vigil run` allocated at 5,000 readings/s (a V8 sampling heap profile with
 * collected objects, 1,000 sensors). mqtt.js's own client log is turned off by its `log` option
 * (runtime/mqtt/connect.ts); mqtt-packet has no such option. So before mqtt.js is loaded, bin/vigil.mjs puts a
 * factory in front of the `debug` module that mqtt.js and mqtt-packet load: for a namespace that DEBUG does not
 * enable it returns a logger that does nothing, and for one it does enable (`DEBUG=mqtt-packet:*`), the real one,
 * so their log is still there when asked for. Namespaces are judged when the logger is made (mqtt-packet makes
 * its loggers as it loads), so enabling one later from code (`debug.enable()`) no longer reaches them.
 */
import { createRequire } from 'node:module';

/** Packages whose `debug` is quietened: each resolves its own copy (npm may nest one under it). */
export const QUIET_PACKAGES = [['mqtt'], ['mqtt', 'mqtt-packet']];

/**
 * Put the quiet factory in front of the `debug` module each of `chains` resolves (a chain: a package, then a
 * dependency of it, ...), resolved from `from` (a file or folder URL). Returns the paths of the modules quietened;
 * a package that cannot be resolved is left out (a gateway without it has nothing to quieten).
 */
export function quietDebug(from = new URL('../package.json', import.meta.url), chains = QUIET_PACKAGES) {
  const done = [];
  for (const chain of chains) {
    let req = createRequire(from);
    let path;
    try {
      for (const pkg of chain) req = createRequire(req.resolve(pkg));
      path = req.resolve('debug');
    } catch {
      continue;
    }
    if (done.includes(path)) continue;
    const real = req('debug');
    const cached = req.cache[path];
    if (!cached || real.quietened) continue;
    cached.exports = quietFactory(real);
    done.push(path);
  }
  return done;
}

/** `real` (the `debug` module's factory) made to return a do-nothing logger for namespaces it does not enable. */
export function quietFactory(real) {
  const make = (namespace) => (real.enabled(namespace) ? real(namespace) : silent(namespace));
  const silent = (namespace) => {
    const log = () => {};
    log.enabled = false;
    log.namespace = namespace;
    log.extend = (sub, delimiter = ':') => make(`${namespace}${delimiter}${sub}`);
    log.destroy = () => true;
    return log;
  };
  // Everything else (enable, disable, enabled, formatters, humanize...) is the real module's.
  return new Proxy(real, {
    apply: (_target, _self, [namespace]) => make(namespace),
    get: (target, key, receiver) => (key === 'quietened' ? true : Reflect.get(target, key, receiver)),
  });
}
