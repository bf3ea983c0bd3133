import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const BROKER_URL = process.env['PLACELINK_TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const PID_FILE = '/run/mosquitto/mosquitto.pid';
const CONFIG = '/etc/mosquitto/mosquitto.conf';

export function brokerReachable(): Promise<boolean> {
  const { hostname, port } = new URL(BROKER_URL);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 1883) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function brokerPid(): number | null {
  try {
    const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the local mosquitto with the system configuration unless it is running. */
export async function ensureBroker(): Promise<void> {
  if (await brokerReachable()) return;
  execFileSync('mosquitto', ['-d', '-c', CONFIG]);
  for (let i = 0; i < 100 && !(await brokerReachable()); i++) await sleep(50);
}

/**
 * Restarts the local mosquitto the way a service manager does: SIGTERM (it saves its persistence
 * file, with sessions and queued QoS 1 messages) to the process named in its pid file, then a new
 * start with the same configuration. Returns how long the broker was down.
 */
export async function restartBroker(): Promise<number> {
  const pid = brokerPid();
  const started = Date.now();
  if (pid && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200 && alive(pid); i++) await sleep(25);
  }
  execFileSync('mosquitto', ['-d', '-c', CONFIG]);
  for (let i = 0; i < 200 && !(await brokerReachable()); i++) await sleep(25);
  return Date.now() - started;
}
