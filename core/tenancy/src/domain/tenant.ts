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

/** Materialized path of ids, '/root/child/', so a subtree is one prefix match. */
export function childPath(parentPath: string, id: string): string {
  return `${parentPath}${id}/`;
}

export function isInSubtree(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}
