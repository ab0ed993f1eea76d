/** Sidebar date groups: by a conversation's updatedAt, in the person's local time. */

/** The groups, newest first. */
export const DATE_GROUPS = ['today', 'yesterday', 'week', 'older'] as const;
/** One sidebar date group. */
export type DateGroup = (typeof DATE_GROUPS)[number];

/**
 * Today (since local midnight, and anything later: clock skew), yesterday, the 7 days before
 * today's midnight, or older. Days are counted with the calendar, so a DST change cannot shift them.
 */
export function dateGroup(updatedAt: string, now: Date = new Date()): DateGroup {
  const at = new Date(updatedAt).getTime();
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const daysBefore = (n: number) => {
    const d = new Date(midnight);
    d.setDate(d.getDate() - n);
    return d.getTime();
  };
  if (at >= midnight.getTime()) return 'today';
  if (at >= daysBefore(1)) return 'yesterday';
  if (at >= daysBefore(7)) return 'week';
  return 'older';
}
