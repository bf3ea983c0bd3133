/** The 34 INSPIRE spatial data themes (Directive 2007/2/EC, Annexes I–III) by registry code. */
export const INSPIRE_THEMES: Readonly<Record<string, string>> = {
  rs: 'Coordinate reference systems',
  gg: 'Geographical grid systems',
  gn: 'Geographical names',
  au: 'Administrative units',
  ad: 'Addresses',
  cp: 'Cadastral parcels',
  tn: 'Transport networks',
  hy: 'Hydrography',
  ps: 'Protected sites',
  el: 'Elevation',
  lc: 'Land cover',
  oi: 'Orthoimagery',
  ge: 'Geology',
  su: 'Statistical units',
  bu: 'Buildings',
  so: 'Soil',
  lu: 'Land use',
  hh: 'Human health and safety',
  us: 'Utility and governmental services',
  ef: 'Environmental monitoring facilities',
  pf: 'Production and industrial facilities',
  af: 'Agricultural and aquaculture facilities',
  pd: 'Population distribution — demography',
  am: 'Area management/restriction/regulation zones and reporting units',
  nz: 'Natural risk zones',
  ac: 'Atmospheric conditions',
  mf: 'Meteorological geographical features',
  of: 'Oceanographic geographical features',
  sr: 'Sea regions',
  br: 'Bio-geographical regions',
  hb: 'Habitats and biotopes',
  sd: 'Species distribution',
  er: 'Energy resources',
  mr: 'Mineral resources',
};

/** The theme's URI in the INSPIRE registry, which is also its identifier. */
export function inspireThemeUri(code: string): string {
  return `http://inspire.ec.europa.eu/theme/${code}`;
}
