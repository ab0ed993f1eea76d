// Entry point of the history Lambda. Work in progress: filled in by the runtime issue.
export async function handler(_event: unknown): Promise<unknown> {
  throw new Error('not implemented yet');
}
