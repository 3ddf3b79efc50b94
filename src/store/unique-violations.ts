// Unique-index violations as Prisma reports them: the loser of a race to write the same key.

/** Prisma's code for a unique constraint failure. */
const UNIQUE_VIOLATION = "P2002";

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

/**
 * Runs `work` again when it lost a race on a unique key (the same RingCentral id, or a new
 * customer's number, written concurrently): the retry then finds the winner's row.
 */
export async function retryingUniqueViolations<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= attempts) throw error;
    }
  }
}
