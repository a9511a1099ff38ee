// Small HTTP helpers shared by the gateway and the services' own routes.
import type { IncomingMessage } from 'node:http';

/** The request body, or undefined once it passes `max` bytes (the rest is not kept: the caller
 *  answers and closes); rejects if the client aborts. Read with listeners rather
 *  than an async iterator: every API request comes through here, and the iterator's machinery
 *  cost more than reading a small body. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) { chunks.push(chunk); return; }
      stop();
      resolve(undefined);
    };
    const onEnd = () => { stop(); resolve(Buffer.concat(chunks)); };
    const onError = (err: Error) => { stop(); reject(err); };
    const onClose = () => { stop(); reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })); };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
