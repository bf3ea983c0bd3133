/** How the service describes itself on its landing page and in the API definition. */
export interface ServiceInfo {
  readonly title: string;
  readonly description: string;
  readonly version: string;
}

export const SERVICE_INFO: ServiceInfo = {
  title: 'placelink',
  description:
    'Places (OASC MIM7): spatial assets from INSPIRE and OGC feature services joined with sensor observations, served as OGC API – Features.',
  version: '0.1.0',
};
