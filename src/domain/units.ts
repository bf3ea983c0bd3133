/**
 * Linear unit conversions a mapping can name ({from: W, to: kW}). Each unit is given as
 * (quantity, factor to the quantity's base unit, offset): base = value * factor + offset.
 * Symbols follow UCUM where it is unambiguous (Cel, [degF]) and accept the common spellings.
 */
interface UnitDefinition {
  readonly quantity: string;
  readonly factor: number;
  readonly offset: number;
}

const unit = (quantity: string, factor: number, offset = 0): UnitDefinition => ({ quantity, factor, offset });

const UNITS: Readonly<Record<string, UnitDefinition>> = {
  mm: unit('length', 0.001),
  cm: unit('length', 0.01),
  dm: unit('length', 0.1),
  m: unit('length', 1),
  km: unit('length', 1000),
  in: unit('length', 0.0254),
  ft: unit('length', 0.3048),
  yd: unit('length', 0.9144),
  mi: unit('length', 1609.344),
  NM: unit('length', 1852),
  nmi: unit('length', 1852),
  m2: unit('area', 1),
  'm²': unit('area', 1),
  ha: unit('area', 10_000),
  km2: unit('area', 1_000_000),
  'km²': unit('area', 1_000_000),
  m3: unit('volume', 1),
  'm³': unit('volume', 1),
  l: unit('volume', 0.001),
  L: unit('volume', 0.001),
  mW: unit('power', 0.001),
  W: unit('power', 1),
  kW: unit('power', 1000),
  MW: unit('power', 1_000_000),
  Wh: unit('energy', 1),
  kWh: unit('energy', 1000),
  MWh: unit('energy', 1_000_000),
  mV: unit('voltage', 0.001),
  V: unit('voltage', 1),
  kV: unit('voltage', 1000),
  mA: unit('current', 0.001),
  A: unit('current', 1),
  ms: unit('time', 0.001),
  s: unit('time', 1),
  min: unit('time', 60),
  h: unit('time', 3600),
  d: unit('time', 86_400),
  K: unit('temperature', 1),
  Cel: unit('temperature', 1, 273.15),
  '°C': unit('temperature', 1, 273.15),
  '[degF]': unit('temperature', 5 / 9, 273.15 - (32 * 5) / 9),
  '°F': unit('temperature', 5 / 9, 273.15 - (32 * 5) / 9),
  'm/s': unit('speed', 1),
  'km/h': unit('speed', 1 / 3.6),
  kn: unit('speed', 1852 / 3600),
  Pa: unit('pressure', 1),
  hPa: unit('pressure', 100),
  kPa: unit('pressure', 1000),
  bar: unit('pressure', 100_000),
  lx: unit('illuminance', 1),
  '%': unit('ratio', 0.01),
  '1': unit('ratio', 1),
  g: unit('mass', 0.001),
  kg: unit('mass', 1),
  t: unit('mass', 1000),
};

export const KNOWN_UNITS: readonly string[] = Object.keys(UNITS);

/** The linear map from one unit to another (output = value * scale + offset), or a reason it does not exist. */
export function unitConversion(from: string, to: string): { scale: number; offset: number } | { problem: string } {
  const source = UNITS[from];
  const target = UNITS[to];
  if (!source) return { problem: `unknown unit '${from}' (known: ${KNOWN_UNITS.join(', ')})` };
  if (!target) return { problem: `unknown unit '${to}' (known: ${KNOWN_UNITS.join(', ')})` };
  if (source.quantity !== target.quantity) return { problem: `cannot convert ${source.quantity} (${from}) to ${target.quantity} (${to})` };
  // base = v * fs + os; out = (base - ot) / ft
  return { scale: source.factor / target.factor, offset: (source.offset - target.offset) / target.factor };
}

/** UN/CEFACT Recommendation 20 common codes of the units above (NGSI-LD `unitCode`). */
export const UNIT_CODES: Readonly<Record<string, string>> = {
  mm: 'MMT', cm: 'CMT', dm: 'DMT', m: 'MTR', km: 'KMT', in: 'INH', ft: 'FOT', yd: 'YRD', mi: 'SMI', NM: 'NMI', nmi: 'NMI',
  m2: 'MTK', 'm²': 'MTK', ha: 'HAR', km2: 'KMK', 'km²': 'KMK', m3: 'MTQ', 'm³': 'MTQ', l: 'LTR', L: 'LTR',
  mW: 'C31', W: 'WTT', kW: 'KWT', MW: 'MAW', Wh: 'WHR', kWh: 'KWH', MWh: 'MWH', mV: '2Z', V: 'VLT', kV: 'KVT', mA: '4K', A: 'AMP',
  ms: 'C26', s: 'SEC', min: 'MIN', h: 'HUR', d: 'DAY', K: 'KEL', Cel: 'CEL', '°C': 'CEL', '[degF]': 'FAH', '°F': 'FAH',
  'm/s': 'MTS', 'km/h': 'KMH', kn: 'KNT', Pa: 'PAL', hPa: 'A97', kPa: 'KPA', bar: 'BAR', lx: 'LUX', '%': 'P1', '1': 'C62',
  g: 'GRM', kg: 'KGM', t: 'TNE',
};

/** The UN/CEFACT code of a unit symbol placelink knows; null for others. */
export function unitCode(symbol: string): string | null {
  return Object.hasOwn(UNIT_CODES, symbol) ? UNIT_CODES[symbol]! : null;
}
