// Global ids of the GraphQL API (relay style: base64 of "<Type>:<uuid>"), for links that carry a bare UUID
// (the follow-up emails link to /portal/follow-ups/<uuid>).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The global id of a `type` object: a bare UUID is encoded, anything else is taken as a global id already. */
export function globalId(type: string, value: string): string {
  return UUID.test(value) ? btoa(`${type}:${value.toLowerCase()}`) : value;
}
