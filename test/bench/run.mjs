#!/usr/bin/env node
// Werkbank benchmarks (never part of `npm test`):
//
//   npm run bench                      all of them
//   npm run bench -- ingest gateway    some of them (ingest, usage-query, gateway)
//   node test/bench/run.mjs usage-query --quick
//
// Each benchmark builds nothing itself (this script runs `npx tsc -b apps/api apps/worker
// apps/gateway` once; WERKBANK_SKIP_BUILD=1 skips it), starts its own embedded PostgreSQL and
// redis-server in a temp dir, migrates, starts the API (and the gateway) as child processes with
// NODE_ENV=production and LOG_LEVEL=warn, creates what it needs over the HTTP API, and runs the
// load in a client process of its own. It prints a table (figure, baseline of the same run, ratio,
// target) and writes test/bench/results/<name>-<date>.json (git-ignored; docs/performance.md keeps
// the record).
//
// Options:
//   --quick              small sizes, to check that everything works (figures not comparable)
//   --events N           ingest: events of the main run (default 1000000)
//   --rounds N           ingest: baseline/API rounds (default 1; the median is reported)
//   --tenants N          ingest: tenants the events spread over (default 100);
//                        usage-query: tenants of the fixture (default 3000)
//   --fixture-events N   usage-query: events in the fixture month (default 10000000)
//   --requests N         usage-query/gateway: measured requests per target (default 5000)
//   --only TEXT          gateway: only the route pairs whose name contains TEXT (case-insensitive;
//                        repeatable, e.g. --only "Ollama SSE" --only "Ollama NDJSON")
//   --loads LIST         gateway: the loads to run, comma-separated from serial (1 at a time),
//                        paced (500 requests/s) and saturation (8 at a time); default all three
//   --profile DIR        write V8 CPU profiles of the API and gateway processes into DIR
import os from 'node:os';
import { ROOT, build, foreignCpu, processTable, say, stopAllStacks } from './lib/stack.mjs';
import { writeResult } from './lib/stats.mjs';

const BENCHMARKS = {
  ingest: async (o) => (await import('./ingest.mjs')).runIngest(o),
  'usage-query': async (o) => (await import('./usage-query.mjs')).runUsageQuery(o),
  gateway: async (o) => (await import('./gateway.mjs')).runGateway(o),
};

class UsageError extends Error {}

/** the gateway benchmark's loads (--loads) */
const LOADS = ['serial', 'paced', 'saturation'];

function parse(argv) {
  const names = [];
  const options = { quick: false };
  const number = (flag, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number (got ${JSON.stringify(value)})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = argv[++i];
    else if (arg === '--events') options.events = number(arg, argv[++i]);
    else if (arg === '--rounds') options.rounds = number(arg, argv[++i]);
    else if (arg === '--tenants') options.tenants = number(arg, argv[++i]);
    else if (arg === '--fixture-events') options.fixtureEvents = number(arg, argv[++i]);
    else if (arg === '--requests') options.requests = number(arg, argv[++i]);
    else if (arg === '--only') {
      const text = argv[++i];
      if (!text || text.startsWith('--')) throw new UsageError('--only needs a part of a route pair\'s name, e.g. --only "Ollama SSE"');
      (options.only ??= []).push(text);
    } else if (arg === '--loads') {
      const list = (argv[++i] ?? '').split(',').map((l) => l.trim()).filter(Boolean);
      const bad = list.filter((l) => !LOADS.includes(l));
      if (!list.length || bad.length) throw new UsageError(`--loads takes a comma-separated list of ${LOADS.join(', ')} (got ${JSON.stringify(argv[i] ?? '')})`);
      options.loads = [...new Set(list)];
    }
    else if (arg === '-h' || arg === '--help') {
      console.log(`usage: node test/bench/run.mjs [${Object.keys(BENCHMARKS).join('|')} ...] [--quick] [--events N] [--rounds N] [--tenants N] [--fixture-events N] [--requests N] [--only TEXT] [--loads ${LOADS.join(',')}] [--profile DIR]`);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg} (see --help)`);
    else if (!BENCHMARKS[arg]) throw new UsageError(`unknown benchmark "${arg}" (known: ${Object.keys(BENCHMARKS).join(', ')})`);
    else names.push(arg);
  }
  const q = options.quick;
  return {
    names: names.length ? [...new Set(names)] : Object.keys(BENCHMARKS),
    profile: options.profile,
    options: {
      quick: q,
      events: options.events ?? (q ? 100_000 : 1_000_000),
      rounds: options.rounds ?? 1,
      tenants: options.tenants,
      pacedRate: 25_000,
      pacedSeconds: q ? 5 : 20,
      fixtureEvents: options.fixtureEvents ?? (q ? 300_000 : 10_000_000),
      requests: options.requests ?? (q ? 500 : 5_000),
      only: options.only,
      loads: options.loads ?? LOADS,
    },
  };
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the processes started ...`);
    stopAllStacks().finally(() => process.exit(130));
  });
}

async function main() {
  const { names, options, profile } = parse(process.argv.slice(2));
  if (profile) process.env.BENCH_PROFILE_DIR = profile;
  await build();
  let failed = false;
  for (const name of names) {
    if (stopping) break;
    say(`=== ${name}${options.quick ? ' (--quick: small sizes, figures not comparable)' : ''} ===`);
    const started = Date.now();
    const processesBefore = processTable();
    try {
      const result = await BENCHMARKS[name](options);
      const foreign = foreignCpu(processesBefore, processTable());
      const seconds = (Date.now() - started) / 1000;
      result.otherProcesses = { ...foreign, shareOfMachine: Math.round((foreign.cpuSeconds / (seconds * os.cpus().length)) * 1000) / 1000, loadAverage: os.loadavg() };
      result.startedAt = new Date(started).toISOString();
      result.durationSeconds = Math.round((Date.now() - started) / 1000);
      result.quick = options.quick;
      const file = await writeResult(ROOT, name, result);
      const m = result.machine;
      console.log(`\n${name}: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Node ${m.node}, PostgreSQL ${m.postgres ?? '-'}`);
      console.log(`${result.table}\n`);
      const share = result.otherProcesses.shareOfMachine;
      console.log(`other processes on this machine used ${result.otherProcesses.cpuSeconds} CPU s meanwhile (${(share * 100).toFixed(1)} % of the machine)${share > 0.05 ? ': the figures are disturbed, run again on a quiet machine' : ''}`);
      if (share > 0.05) console.log(result.otherProcesses.top.map((p) => `   ${p.cpuSeconds} s  ${p.cmd}`).join('\n'));
      if (result.notes?.length) console.log(result.notes.map((n) => `  note: ${n}`).join('\n'));
      if (result.problems?.length) {
        failed = true;
        console.log(`  PROBLEMS (the run is not valid):\n${result.problems.map((p) => `   - ${p}`).join('\n')}`);
      }
      say(`${name} took ${result.durationSeconds} s; results in ${file}`);
    } catch (error) {
      failed = true;
      say(`${name} failed: ${error?.stack ?? error}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  say(`error: ${error instanceof UsageError ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
