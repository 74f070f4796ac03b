import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Python, which carries python3-torch. */
export const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

/** Calls per second of fn over a time budget, after 50 warm-up calls. */
export function rate(fn: () => void, budgetSeconds: number): number {
  for (let i = 0; i < 50; i++) fn();
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < budgetSeconds * 1000) {
    for (let i = 0; i < 20; i++) fn();
    count += 20;
  }
  return count / ((performance.now() - start) / 1000);
}

/** True when PyTorch imports; tries Debian's python3-torch with apt-get once when it does not. */
export function ensureTorch(): boolean {
  if (!existsSync(PYTHON)) return false;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  if (probe.status === 0) return true;
  console.error(
    'PyTorch is missing: installing python3-torch and libopenblas0-pthread from Debian with apt-get…',
  );
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'python3-torch', 'libopenblas0-pthread'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    console.error('apt-get failed; PyTorch columns will be empty.');
    return false;
  }
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Run benchmarks/peers/<script> with PyTorch limited to `threads`; returns its last JSON line. */
export function runTorchPeer<T>(script: string, threads: number, args: string[]): T {
  const out = execFileSync(PYTHON, [join(here, 'peers', script), String(threads), ...args], {
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T;
}
