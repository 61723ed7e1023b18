import { describe, expect, it } from 'vitest';
import { instantOfWallClock, isTimeZone, wallClockOf } from './time-zones.js';

const wall = (text: string) => Date.parse(`${text}:00Z`);
const utc = (at: number) => new Date(at).toISOString();

describe('wall-clock times in a time zone', () => {
  it('knows IANA zones and refuses anything else', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('reads a form date in the viewer’s zone as the instant it names', () => {
    expect(utc(instantOfWallClock(wall('2030-01-15T09:00'), 'Asia/Kolkata'))).toBe('2030-01-15T03:30:00.000Z');
    expect(utc(instantOfWallClock(wall('2030-07-01T12:00'), 'Europe/Berlin'))).toBe('2030-07-01T10:00:00.000Z');
    expect(utc(instantOfWallClock(wall('2030-12-01T12:00'), 'Europe/Berlin'))).toBe('2030-12-01T11:00:00.000Z');
    expect(utc(instantOfWallClock(wall('2030-03-01T19:00'), 'America/New_York'))).toBe('2030-03-02T00:00:00.000Z');
    expect(utc(instantOfWallClock(wall('2030-03-01T19:00'), 'UTC'))).toBe('2030-03-01T19:00:00.000Z');
  });

  it('takes the earlier of a twice-read time and steps over a skipped one', () => {
    // Berlin, 27 Oct 2030: 02:30 happens in CEST and again in CET.
    expect(utc(instantOfWallClock(wall('2030-10-27T02:30'), 'Europe/Berlin'))).toBe('2030-10-27T00:30:00.000Z');
    // Berlin, 31 Mar 2030: the clock jumps from 02:00 to 03:00; 02:30 is read as 03:30 CEST.
    expect(utc(instantOfWallClock(wall('2030-03-31T02:30'), 'Europe/Berlin'))).toBe('2030-03-31T01:30:00.000Z');
  });

  it('writes an instant back as the zone’s wall clock, for the form to show', () => {
    const at = Date.parse('2030-01-15T03:30:00Z');
    expect(wallClockOf(at, 'Asia/Kolkata')).toBe('2030-01-15T09:00');
    expect(wallClockOf(at, 'UTC')).toBe('2030-01-15T03:30');
    expect(wallClockOf(Date.parse('2030-06-30T22:15:00Z'), 'Europe/Berlin')).toBe('2030-07-01T00:15');
  });
});
