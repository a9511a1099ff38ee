// Runs inside berth-test/node: asks STS who it is with the AWS SDK's default credential chain
// (inside a task with a task role: the container credentials endpoint named by
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), and prints the answer as one JSON line.
// With --stay it keeps running afterwards (until SIGTERM).
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const client = new STSClient({ endpoint: process.env.BERTH_ENDPOINT, region: process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 1 });
try {
  const out = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ Arn: out.Arn, Account: out.Account, UserId: out.UserId }));
} catch (err) {
  console.log(JSON.stringify({ error: err.name, message: err.message }));
  process.exitCode = 1;
}
if (process.argv.includes('--stay')) {
  setInterval(() => {}, 1 << 30);
  process.on('SIGTERM', () => process.exit(0));
}
