/** Config section `http`: who may use the HTTP servers. */
import { z } from 'zod';

/** Who may use the HTTP servers (/metrics, the dashboard): docs/run.md, "HTTP security". */
export const HttpSchema = z
  .object({
    /** Host names served besides localhost, IP addresses and the bind address (DNS rebinding); `*` turns the check off. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Bearer token for everything but /health; prefer the VIGIL_HTTP_TOKEN environment variable over writing it here. */
    token: z
      .string()
      .min(16, 'expected at least 16 characters (e.g. the output of `openssl rand -hex 16`)')
      .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces')
      .optional(),
  })
  .strict();
