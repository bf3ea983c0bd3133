import { readFileSync } from 'node:fs';
import { fixture } from './shared-fixtures.js';

/**
 * The MQTT publish example of the OGC engineering report (hexoskin), read in place: its topic (with
 * an unbalanced parenthesis) and its payload (with the misspelt key `phenonmenonTime`).
 */
export function hexoskinMqttExample(): { topic: string; payload: string } {
  const text = readFileSync(fixture('sensorthings', 'ogc-er-hexoskin-observation-creation-via-mqtt.txt'), 'utf8');
  const topic = /^Topic:\s*(\S+)\s*$/m.exec(text)?.[1];
  const payload = text.slice(text.indexOf('Message:') + 'Message:'.length).trim();
  if (!topic || !payload.startsWith('{')) throw new Error('the hexoskin MQTT example is not in the expected form');
  return { topic, payload };
}
