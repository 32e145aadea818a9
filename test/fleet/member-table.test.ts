/**
 * The member table reads retained heartbeats anyone on the broker can publish: a payload that is JSON but not a
 * heartbeat object (null, a number, an array) is ignored, never thrown inside the MQTT message handler.
 */
import { describe, expect, it } from 'vitest';
import { FleetSchema } from '../../runtime/fleet/config.ts';
import { MemberTable } from '../../runtime/fleet/member-table.ts';

describe('MemberTable.hear', () => {
  const fleet = FleetSchema.parse({ group: 'g', partitions: 8 });
  const table = () => new MemberTable(fleet, () => 1000);

  it('ignores JSON that is not a heartbeat object', () => {
    const t = table();
    for (const text of ['null', '7', '"x"', '[1,2]', 'true']) expect(t.hear('w1', Buffer.from(text))).toBe(false);
  });

  it('adds a member on its first heartbeat, removes it on an empty payload', () => {
    const t = table();
    expect(t.hear('w1', Buffer.from(JSON.stringify({ partitions: 8 })))).toBe(true);
    expect(t.hear('w1', Buffer.from(JSON.stringify({ partitions: 8 })))).toBe(false);
    expect(t.hear('w1', Buffer.alloc(0))).toBe(true);
  });
});
