import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Start a script (`src/cli/main.ts serve ...` or a peer) in a child process with NEXTBEST_API_KEY set,
 * resolved once it prints that it is serving.
 */
export function startServing(args: string[], apiKey: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', ...args], {
    env: { ...process.env, NEXTBEST_API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('serving on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** SIGTERM and wait for the exit. */
export async function stopServing(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
