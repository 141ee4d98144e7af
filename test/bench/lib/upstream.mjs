// Child process: runs the transpiled FakeStreamingUpstream (argv[2]) on 127.0.0.1 and reports its
// URL to the parent. It keeps no per-request records beyond what the fixture does; SIGTERM stops it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { FakeStreamingUpstream } = require(process.argv[2]);
const upstream = await new FakeStreamingUpstream(process.argv[3] ?? 'node-1').start();
// the fixture remembers every request for the e2e assertions; a benchmark makes tens of thousands
setInterval(() => upstream.reset(), 1000).unref();
process.send({ url: upstream.url });
const stop = async () => {
  await upstream.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
