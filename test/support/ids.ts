let counter = 0;
/** A fresh valid protocol id. */
export function id(prefix = 'id'): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`.padEnd(8, 'x');
}
