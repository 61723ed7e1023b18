// Wall-clock times in the viewer's IANA time zone: what a form's date field means when the console script names the zone.

const MINUTE_MS = 60_000;
const HALF_DAY_MS = 12 * 60 * MINUTE_MS;

/** Whether `zone` is an IANA time zone this runtime knows (the form field is the browser's word, so it is checked). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function wallClockParts(at: number, zone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute', number> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((found) => found.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute') };
}

/** The zone's offset from UTC at `at`, in whole minutes as milliseconds (what a wall clock there reads, less UTC). */
function offsetAt(at: number, zone: string): number {
  const wall = wallClockParts(at, zone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  return wallAsUtc - Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

/**
 * The instant at which a wall clock in `zone` reads `wallAsUtc` (that reading's fields, taken as UTC). A reading the
 * clock shows twice (when it goes back) is the earlier instant; one it skips (when it goes forward) is read with the
 * offset from before the change, so it lands just after the gap.
 */
export function instantOfWallClock(wallAsUtc: number, zone: string): number {
  const before = offsetAt(wallAsUtc - HALF_DAY_MS, zone);
  const after = offsetAt(wallAsUtc + HALF_DAY_MS, zone);
  const readings = [wallAsUtc - before, wallAsUtc - after].filter((at) => offsetAt(at, zone) === wallAsUtc - at);
  return readings.length > 0 ? Math.min(...readings) : wallAsUtc - before;
}

/** `YYYY-MM-DDTHH:MM` as a wall clock in `zone` reads at `at`: a datetime-local field's value. */
export function wallClockOf(at: number, zone: string): string {
  const wall = wallClockParts(at, zone);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${String(wall.year).padStart(4, '0')}-${two(wall.month)}-${two(wall.day)}T${two(wall.hour)}:${two(wall.minute)}`;
}
