// Types for the parts of services.mjs that TypeScript tests use.
import type { ChildProcess } from 'node:child_process';

export interface RunningRedis {
  url: string;
  port: number;
  pid: number;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startRedis(options: { dir: string; port?: number; log?: (line: string) => void; onStale?: 'fail' | 'kill' }): Promise<RunningRedis>;
export function findFreePort(): Promise<number>;
