// Runs once before all test files: nothing shared yet; database-backed suites create their own
// isolated database (see test/support/database.ts).
export default async function setup(): Promise<void> {}
