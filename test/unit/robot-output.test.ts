import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countByFolder, readRobotOutput, type RobotOutput } from '../helpers/robot-output.js';

const ROOT = '/tmp/work/suite-abc';

/** The shape Robot 7.4 writes (schema 5): keyword statuses nested inside tests, tags and the test's own status last. */
const OUTPUT_XML = `<?xml version="1.0" encoding="UTF-8"?>
<robot generator="Robot 7.4.1 (Python 3.11.2 on linux)" generated="2026-12-07T22:49:44.834371" rpa="false" schemaversion="5">
<suite id="s1" name="ETSI NGSI-LD">
<suite id="s1-s1" name="CommonBehaviours" source="${ROOT}/TP/NGSI-LD/CommonBehaviours">
<suite id="s1-s1-s1" name="045 01" source="${ROOT}/TP/NGSI-LD/CommonBehaviours/CommonResponses/VerifyGETWithoutAccept/045_01.robot">
<test id="s1-s1-s1-t1" name="045_01_01 Endpoint /entities/{entityId}" line="27">
<kw name="Check Response Status Code" owner="AssertionUtils">
<msg time="2026-12-07T22:49:45.437" level="FAIL">HTTP status code comparison failed with (expected, actual) -&gt;: 201 != 405</msg>
<status status="FAIL" start="2026-12-07T22:49:45.437134" elapsed="0.000715">HTTP status code comparison failed with (expected, actual) -&gt;: 201 != 405</status>
</kw>
<tag>6_3_4</tag>
<tag>cb-get</tag>
<status status="FAIL" start="2026-12-07T22:49:45.404" elapsed="0.250000">HTTP status code comparison failed with (expected, actual) -&gt;: 201 != 405</status>
</test>
<test id="s1-s1-s1-t2" name="045_01_02 Endpoint /subscriptions/{subscriptionId}" line="31">
<kw name="Retrieve Subscription" owner="ContextInformationSubscription">
<status status="FAIL" start="2026-12-07T22:49:45.5" elapsed="0.1">a keyword failure that the test ignored</status>
</kw>
<tag>6_3_4</tag>
<status status="PASS" start="2026-12-07T22:49:45.5" elapsed="0.500000"/>
</test>
<status status="FAIL" start="2026-12-07T22:49:45.40" elapsed="1.250000"/>
</suite>
<status status="FAIL" start="2026-12-07T22:49:45.40" elapsed="2.000000"/>
</suite>
<suite id="s1-s2" name="Subscription" source="${ROOT}/TP/NGSI-LD/ContextInformation/Subscription/MQTT/058_01.robot">
<test id="s1-s2-t1" name="058_01_01 Without User And Port" line="23">
<tag>sub-mqtt-notification</tag>
<status status="SKIP" start="2026-12-07T22:49:46" elapsed="0.000100">Skipped with --skip.</status>
</test>
<status status="SKIP" start="2026-12-07T22:49:46" elapsed="0.100000"/>
</suite>
<status status="FAIL" start="2026-12-07T22:49:45" elapsed="3.000000"/>
</suite>
<statistics/>
</robot>
`;

describe('Robot output.xml reader', () => {
  let directory: string;
  let output: RobotOutput;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-robot-'));
    const file = path.join(directory, 'output.xml');
    await writeFile(file, OUTPUT_XML);
    output = await readRobotOutput(file, ROOT);
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('takes status, message and tags from the test element itself, not from its keywords', () => {
    expect(output.tests.map((t) => [t.name, t.status])).toEqual([
      ['045_01_01 Endpoint /entities/{entityId}', 'FAIL'],
      ['045_01_02 Endpoint /subscriptions/{subscriptionId}', 'PASS'],
      ['058_01_01 Without User And Port', 'SKIP'],
    ]);
    expect(output.tests[0]!.message).toBe('HTTP status code comparison failed with (expected, actual) ->: 201 != 405');
    expect(output.tests[0]!.tags).toEqual(['6_3_4', 'cb-get']);
    expect(output.tests[1]!.message).toBe('');
    expect(output.tests[0]!.seconds).toBe(0.25);
  });

  it('places each test in the folder of its .robot file, relative to the suite root', () => {
    expect(output.tests.map((t) => `${t.folder} ${t.file}`)).toEqual([
      'TP/NGSI-LD/CommonBehaviours/CommonResponses/VerifyGETWithoutAccept 045_01.robot',
      'TP/NGSI-LD/CommonBehaviours/CommonResponses/VerifyGETWithoutAccept 045_01.robot',
      'TP/NGSI-LD/ContextInformation/Subscription/MQTT 058_01.robot',
    ]);
  });

  it('keeps the wall time of every suite with a source', () => {
    expect(output.suiteSeconds.get('TP/NGSI-LD/CommonBehaviours')).toBe(2);
    expect(output.suiteSeconds.get('TP/NGSI-LD/CommonBehaviours/CommonResponses/VerifyGETWithoutAccept/045_01.robot')).toBe(1.25);
    expect(output.suiteSeconds.size).toBe(3);
  });

  it('counts per folder, or per any grouping of folders', () => {
    expect(Object.fromEntries(countByFolder(output.tests))).toEqual({
      'TP/NGSI-LD/CommonBehaviours/CommonResponses/VerifyGETWithoutAccept': { tests: 2, passed: 1, failed: 1, skipped: 0, seconds: 0.75 },
      'TP/NGSI-LD/ContextInformation/Subscription/MQTT': { tests: 1, passed: 0, failed: 0, skipped: 1, seconds: 0.0001 },
    });
    const byTop = countByFolder(output.tests, (t) => t.folder.split('/').slice(0, 3).join('/'));
    expect([...byTop.keys()]).toEqual(['TP/NGSI-LD/CommonBehaviours', 'TP/NGSI-LD/ContextInformation']);
  });
});
