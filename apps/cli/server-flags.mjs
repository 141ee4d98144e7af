// V8 flags of the long-running server processes (API, worker, gateway), shared by `npm start`
// (apps/cli/werkbank.mjs) and the benchmarks (test/bench/lib/stack.mjs); the image sets the same
// through NODE_OPTIONS in the Dockerfile. A larger young generation (64 MiB semi-spaces instead
// of 16) means fewer scavenges: the ingestion route and the gateway allocate many short-lived
// objects per request, and each scavenge stops the event loop (docs/performance.md).
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];
