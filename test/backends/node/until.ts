/**
 * Waits until `condition()` holds, checking after every turn of the event loop. The guard only turns a hang into
 * a failure that names what never happened; no test asserts on time.
 */
export async function until(condition: () => boolean, what: string, guardMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > guardMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets the event loop turn `count` times (for checks that something did NOT happen meanwhile). */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}
