/**
 * Polls `probe` until it returns a truthy value, for at most `timeoutMs`; then fails with
 * what it waited for. For asynchronous work (queues, workers) that a test cannot await.
 *
 *   const job = await waitFor('job to complete', async () => (await queue.getJob(id))?.finishedOn && job);
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
