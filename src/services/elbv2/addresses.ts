// Each load balancer's own loopback address, from the configured pool. The address is claimed with
// a create on a machine-wide key (not per account: two accounts' load balancers share the host's
// loopback), probing from a random start so allocation costs O(1) expected creates.
import type { AppContext } from '../context.js';
import { elbConfig, ipOf, poolRange } from './config.js';
import { SVC, invalidConfig } from './model.js';

const addressKey = (ip: string) => `/${SVC}/_address/${ip}`;

export async function claimAddress(app: AppContext, owner: string): Promise<string> {
  const [first, last] = poolRange(elbConfig(app).addressPool);
  const size = last - first + 1;
  const start = Math.floor(app.ids.random() * size);
  for (let i = 0; i < size; i++) {
    const ip = ipOf(first + ((start + i) % size));
    if (await app.store.create(addressKey(ip), owner)) return ip;
  }
  throw invalidConfig(`No free address left in the load balancer address pool ${elbConfig(app).addressPool}`);
}

export async function releaseAddress(app: AppContext, ip: string) {
  await app.store.delete(addressKey(ip));
}
