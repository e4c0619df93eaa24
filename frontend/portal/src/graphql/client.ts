// The portal's GraphQL client: the public /graphql endpoint, the session cookie (same origin only) and, on every
// request, the CSRF token from the CSRF cookie in X-CSRF-Token (core/auth/csrf.py): __Host-csrf_token over HTTPS,
// csrf_token over plain HTTP (local development). The tenant the portal
// works in goes in X-Pejling-Tenant once chosen, and the portal's language in Accept-Language (the server words a
// few refusals in it, such as a common password).
import i18next from 'i18next';
import { Client, cacheExchange, fetchExchange, mapExchange, type CombinedError } from 'urql';

export const ENDPOINT = '/graphql';
const TENANT_KEY = 'pejling.portal.tenant';

/** The value of one cookie of this page, or '' when it is not set. */
export function cookie(name: string, source: string = document.cookie): string {
  for (const part of source.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      return decodeURIComponent(value.join('='));
    }
  }
  return '';
}

/** The CSRF cookie's name: the server sets the __Host- prefixed one over HTTPS only (core/auth/csrf.py). */
export function csrfCookieName(protocol: string = window.location.protocol): string {
  return protocol === 'https:' ? '__Host-csrf_token' : 'csrf_token';
}

/** The tenant slug the portal works in ('' until one is chosen). */
export function currentTenant(): string {
  return sessionStorage.getItem(TENANT_KEY) ?? '';
}

export function chooseTenant(slug: string): void {
  if (slug) {
    sessionStorage.setItem(TENANT_KEY, slug);
  } else {
    sessionStorage.removeItem(TENANT_KEY);
  }
}

/** The headers of every API request from the portal. */
export function apiHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const token = cookie(csrfCookieName());
  if (token) {
    headers['X-CSRF-Token'] = token;
  }
  const tenant = currentTenant();
  if (tenant) {
    headers['X-Pejling-Tenant'] = tenant;
  }
  if (i18next.language) {
    headers['Accept-Language'] = i18next.language;
  }
  return headers;
}

/** Where the portal sends a person whose business requires two-step login they do not have yet. */
export const TWO_STEP_PAGE = '/portal/security';

/** True when the API refused the operation because the business requires two-step login (graphql/two_step_rule.py). */
export function needsTwoStep(error: CombinedError | undefined): boolean {
  return Boolean(error?.graphQLErrors.some((e) => e.extensions?.code === 'TWO_STEP_REQUIRED'));
}

/** On that refusal, go to the Security page, which explains why and offers the enrolment (once: not from there). */
export function sendToTwoStep(error: CombinedError, location: Location = window.location): void {
  if (needsTwoStep(error) && location.pathname !== TWO_STEP_PAGE) {
    location.assign(`${TWO_STEP_PAGE}?required=1`);
  }
}

/** Where the portal sends a person who logged in with a password the system generated (pejling create-tenant):
 * until they choose their own, the API does nothing else for them (graphql/password_change_rule.py). */
export const CHOOSE_PASSWORD_PAGE = '/portal/choose-password';

/** The choose-password page, going on to `next` (a path of this site) once the password is changed. */
export function choosePasswordPath(next: string): string {
  return `${CHOOSE_PASSWORD_PAGE}?next=${encodeURIComponent(next)}`;
}

/** True when the API refused the operation until the person chooses their own password. */
export function needsOwnPassword(error: CombinedError | undefined): boolean {
  return Boolean(error?.graphQLErrors.some((e) => e.extensions?.code === 'PASSWORD_CHANGE_REQUIRED'));
}

/** On that refusal, go to the choose-password page, coming back here afterwards (once: not from there). */
export function sendToChoosePassword(error: CombinedError, location: Location = window.location): void {
  if (needsOwnPassword(error) && location.pathname !== CHOOSE_PASSWORD_PAGE) {
    location.assign(choosePasswordPath(location.pathname + location.search));
  }
}

export function makeClient(): Client {
  const onError = (error: CombinedError) => {
    sendToChoosePassword(error);
    sendToTwoStep(error);
  };
  return new Client({
    url: ENDPOINT,
    exchanges: [cacheExchange, mapExchange({ onError }), fetchExchange],
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ credentials: 'same-origin', headers: apiHeaders() }),
  });
}
