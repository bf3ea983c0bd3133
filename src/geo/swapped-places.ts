/** A place of a source (lon/lat, degrees) with what names it. */
export interface NamedPlace {
  readonly id: string;
  readonly lon: number;
  readonly lat: number;
}

/** How much nearer the swapped position must lie to the others than the position as given. */
const NEARER_BY = 5;
/** Fewer other places than this say nothing about where a source's sensors are. */
const MIN_OTHERS = 3;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Places that look like latitude and longitude written the wrong way round (Examind's Locations at
 * [40, -3] among ones at [-4.1, 42.4]): read swapped, the place lies with the source's other places
 * (their median, each other place counted as often as it occurs) at least five times nearer than
 * as given. A heuristic for reporting, in plain degrees; it never changes data.
 */
export function swappedPlaces(places: readonly NamedPlace[]): NamedPlace[] {
  if (places.length <= MIN_OTHERS) return [];
  return places.filter((place, index) => {
    if (place.lon === place.lat || Math.abs(place.lon) > 90) return false;
    const others = places.filter((_, other) => other !== index);
    const centre = { lon: median(others.map((p) => p.lon)), lat: median(others.map((p) => p.lat)) };
    const given = Math.hypot(place.lon - centre.lon, place.lat - centre.lat);
    const swapped = Math.hypot(place.lat - centre.lon, place.lon - centre.lat);
    return swapped * NEARER_BY < given;
  });
}
