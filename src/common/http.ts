// Small HTTP helpers shared by the gateway and the services' own routes.
import type { IncomingMessage } from 'node:http';

/** The request body, or undefined once it passes `max` bytes; rejects if the client aborts. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
