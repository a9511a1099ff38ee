#!/usr/bin/env node
// Berth pins its AWS SDK version in package-lock.json and upgrades it deliberately, so the SDK's
// notice about its future releases needing Node 22 is noise for Berth's users: silence it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('../dist/cli/main.js');
