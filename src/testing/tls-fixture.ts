// A small cluster's self-signed pair, made exactly as the README says (openssl): a CA, and a
// server certificate it signs with the given names and addresses as subjectAltNames.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles { caFile: string; certFile: string; keyFile: string; ca: string; cert: string; key: string }

export function makeCertificates(dir: string, sans: { dns?: string[]; ips?: string[] }): TlsFiles {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Berth cluster CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=berth']);
  const alt = [...(sans.dns ?? []).map((d) => `DNS:${d}`), ...(sans.ips ?? []).map((i) => `IP:${i}`)].join(',');
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${alt}\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem',
    '-days', '825', '-extfile', 'server.ext']);
  const file = (name: string) => join(dir, name);
  return {
    caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key'),
    ca: readFileSync(file('ca.pem'), 'utf8'), cert: readFileSync(file('server.pem'), 'utf8'), key: readFileSync(file('server.key'), 'utf8'),
  };
}
