/**
 * The DynamoDB table's key schema: the one place its attribute names live. The construct creates
 * the table with these names and the local stack creates the same table in dynalite. Pure
 * constants, no SDK imports, so infrastructure code may import it.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Items with this attribute (epoch seconds) are deleted by DynamoDB TTL. */
  ttlAttribute: 'ttl',
  /** A user's conversations, most recently updated first. */
  updatedIndex: { name: 'byUpdated', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;
