import type { LinkedValueLinks } from '../domain/query.js';

/**
 * Where an asset's linked sensor values link to, under the API's base: the datastream's
 * observations in its source's observation collection, and the asset's time series of it.
 */
export function assetLinkTemplates(apiBase: string): LinkedValueLinks {
  return {
    observations: `${apiBase}/collections/{observationCollection}/items?datastream={datastream}`,
    timeseries: `${apiBase}/collections/{assetCollection}/items/{asset}/timeseries?datastream={datastream}`,
  };
}
