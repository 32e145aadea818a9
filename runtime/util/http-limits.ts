/**
 * Limits of vigil's HTTP servers (/metrics + /health and the dashboard), against slow or many clients on the plant
 * network: Node's defaults let a client take 60 s to send its headers (checked only every 30 s) and 5 minutes for a
 * request, with no bound on connections, so a slowloris script holding thousands of half-sent requests costs the
 * detector's process memory and file descriptors (it shares them with the broker connection and the state saves).
 * A page's event stream (/events) is a response, not a request, and is not cut by these timeouts.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

/** How long a client may take to send a request's headers (ms). */
export const HEADERS_TIMEOUT_MS = 10_000;

/** How long a client may take to send a whole request, body included (ms); a command's body has its own 10 s. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Connections held at most per server; more are closed at once (Prometheus and a few dashboard pages need far fewer). */
export const MAX_CONNECTIONS = 256;

/** An HTTP server with these limits. */
export function boundedServer(handler: RequestListener): Server {
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 }, handler);
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}
