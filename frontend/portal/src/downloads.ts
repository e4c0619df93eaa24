// Links to the API's files (QR codes, posters): same origin, and naming the tenant the portal works in.

/** The path and query of an API link (the API names files by absolute URL on its configured base): downloads stay
 * on this origin, whatever the base URL says. */
export function samePath(url: string): string {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** A download link of the API for the tenant `tenantSlug`: a clicked link or an `<img>` cannot send the
 * X-Pejling-Tenant header, so a person in more than one tenant needs `?tenant=<slug>` (tenants/middleware.py reads
 * it on GETs under /api/). Without a slug the link is only made same-origin. */
export function tenantDownload(url: string, tenantSlug: string | null | undefined): string {
  const path = samePath(url);
  if (!tenantSlug) {
    return path;
  }
  const parsed = new URL(path, 'http://portal.invalid');
  parsed.searchParams.set('tenant', tenantSlug);
  return parsed.pathname + parsed.search;
}
