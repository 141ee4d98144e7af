// Child process: runs the transpiled FakeOllama (argv[2], plugins/ollama/src/__tests__/fake-ollama.ts)
// on 127.0.0.1 with `argv[3]` ms between streamed chunks and reports its URL to the parent.
// SIGTERM stops it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { FakeOllama } = require(process.argv[2]);
const fake = await new FakeOllama({ chunkDelayMs: Number(process.argv[3] ?? 2) }).start();
// the fake remembers every request and report for the e2e assertions; a benchmark makes tens of thousands
setInterval(() => fake.reset(), 1000).unref();
process.send({ url: fake.url });
const stop = async () => {
  await fake.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
