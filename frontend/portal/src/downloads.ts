// Links to the API's files (QR codes, posters): same origin, and naming the tenant the portal works in.

/** The path and query of an API link (the API names files by absolute URL on its configured base): downloads stay
 * on this origin, whatever the base URL says. */
export function samePath(url: string): string {
  try {
    const parsed = new URL(url, window.location.origin);
    // Only a web address gives a path (ASVS V1.2.2): `javascript:`, `data:` or `vbscript:` gives no link, and a path
    // that starts with `//` keeps one slash (else it would name another host).
    const web = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    return web ? parsed.pathname.replace(/^\/+/, '/') + parsed.search : '';
  } catch {
    return ''; // not a URL at all: no link (never the text as it came, ASVS V1.2.2)
  }
}

/** A download link of the API for the tenant `tenantSlug`: a clicked link or an `<img>` cannot send the
 * X-Pejling-Tenant header, so a person in more than one tenant needs `?tenant=<slug>` (tenants/middleware.py reads
 * it on GETs under /api/). Without a slug the link is only made same-origin. */
export function tenantDownload(url: string, tenantSlug: string | null | undefined): string {
  const path = samePath(url);
  if (!tenantSlug || !path) {
    return path;
  }
  const parsed = new URL(path, 'http://portal.invalid');
  parsed.searchParams.set('tenant', tenantSlug);
  return parsed.pathname + parsed.search;
}
