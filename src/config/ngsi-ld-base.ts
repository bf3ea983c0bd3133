/** A broker's NGSI-LD base URL: as given when it ends in /ngsi-ld/v1, else with it appended. */
export function ngsiLdBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/ngsi-ld\/v1$/.test(trimmed) ? trimmed : `${trimmed}/ngsi-ld/v1`;
}
