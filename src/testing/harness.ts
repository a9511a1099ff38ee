// Test harness: a real Berth server in-process (memory store by default) and real SDK clients
// pointed at it. Integration tests use this; nothing here is a mock.
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { startBerth, type Berth, type BerthOptions } from '../server/berth.js';
import { signedFetch } from './signed-fetch.js';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface Harness {
  berth: Berth;
  url: string;
  ecs: ECSClient;
  sts: STSClient;
  /** Raw POST to the gateway (for malformed-input tests). */
  post(headers: Record<string, string>, body: string): Promise<{ status: number; headers: Headers; text: string }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** POST /_berth/reset with its JSON confirmation (signed with the root key in strict mode). */
export async function resetBerth(berth: Berth): Promise<void> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":"reset"}' };
  const res = berth.rootCredentials
    ? await signedFetch(`${berth.url}/_berth/reset`, berth.rootCredentials, init)
    : await fetch(`${berth.url}/_berth/reset`, init);
  if (res.status !== 200) throw new Error(`reset answered ${res.status}: ${await res.text()}`);
}

export async function startHarness(options: BerthOptions = {}): Promise<Harness> {
  const berth = await startBerth({ port: 0, store: 'memory://', ...options });
  // In strict mode the clients sign with the root key.
  const config = { endpoint: berth.url, region: 'us-east-1', credentials: berth.rootCredentials ?? credentials, maxAttempts: 1 };
  const ecs = new ECSClient(config);
  const sts = new STSClient(config);
  return {
    berth, url: berth.url, ecs, sts,
    async post(headers, body) {
      const res = await fetch(berth.url, { method: 'POST', headers, body });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    async reset() { await resetBerth(berth); },
    async close() { ecs.destroy(); sts.destroy(); await berth.close(); },
  };
}

/** ECS JSON headers for a raw request. */
export const ecsHeaders = (operation: string) => ({
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`,
  authorization: 'AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x',
});
