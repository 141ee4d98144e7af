export const TENANT_KINDS = ['operator', 'reseller', 'organization'] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];
export const TENANT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface PostalAddress {
  line1: string;
  line2?: string;
  postalCode: string;
  city: string;
  countrySubdivision?: string;
  country: string;
}

export const TIME_ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/**
 * An IANA zone name this runtime knows: ICU lists some zones under their former names
 * (Asia/Katmandu, Asia/Calcutta, Europe/Kiev), yet takes the current ones too (Asia/Kathmandu,
 * Asia/Kolkata, Europe/Kyiv) — both are accepted. Offsets and abbreviations are not zones.
 */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (TIME_ZONES.has(value)) return true;
  if (!/^[A-Za-z][A-Za-z_-]*(\/[A-Za-z0-9][A-Za-z0-9_+-]*){1,2}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Materialized path of ids, '/root/child/', so a subtree is one prefix match. */
export function childPath(parentPath: string, id: string): string {
  return `${parentPath}${id}/`;
}

export function isInSubtree(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}
