import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';

/** What a link's fragment says: `#token=…&next=…` read like a query string. */
export function fragmentParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
}

/** The one-time token of a mailed link (password reset, sign-up, invitation): from the fragment (`#token=…`), which
 * the browser never sends to the server nor in a Referer (ASVS V14.2.1); for links mailed before the move, from the
 * query (`?token=…`). Empty when there is none. */
export function linkToken(search: string, hash: string): string {
  return fragmentParams(hash).get('token') || new URLSearchParams(search).get('token') || '';
}

function without(params: URLSearchParams, name: string): string {
  params.delete(name);
  return params.toString();
}

/** The mailed link's token, read once; then the address bar (and the history entry) is rewritten without it, with
 * a replacing navigation (`history.replaceState`), so it is not left for a bookmark, a shared screen or a later
 * visitor of the browser's history. The token stays in the page's memory until the page is left. */
export function useLinkToken(): string {
  const location = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => linkToken(location.search, location.hash));
  useEffect(() => {
    const query = new URLSearchParams(location.search);
    const fragment = fragmentParams(location.hash);
    if (!query.has('token') && !fragment.has('token')) {
      return;
    }
    const search = without(query, 'token');
    const hash = without(fragment, 'token');
    navigate({ pathname: location.pathname, search: search ? `?${search}` : '', hash: hash ? `#${hash}` : '' },
      { replace: true, state: location.state });
  }, [location, navigate]);
  return token;
}
