// PGlite is a single-process database: a second process opening the same data directory writes over
// the first one's pages (users vanish, tokens are refused, unique constraints break). One process at
// a time holds `DATA_DIR/switchboard.pid`, created exclusively, holding its pid and start time.
//
// Why a pid file and not proper-lockfile: proper-lockfile decides staleness by the lock's age, so a
// crashed server blocks the next start for its stale period, and a long event-loop stall (a big
// migration) can make a live lock look stale; it also cannot say who holds the lock. A pid is checked
// at once (kill(pid, 0)) and is what the operator needs to see. PGlite directories are local, so the
// pid is meaningful.
import fs from "node:fs";
import path from "node:path";

export const LOCK_FILE = "switchboard.pid";

export class DataDirectoryLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by another switchboard process (pid ${holderPid}); ` +
        `two processes must never open it at once. While the server runs, create users and tokens through ` +
        `GraphQL as an admin (createUser, createApiToken; see the README's quick start), ` +
        `or stop pid ${holderPid} first and run this command again.`,
    );
    this.name = "DataDirectoryLockedError";
  }
}

export interface DataDirectoryLock {
  release(): void;
}

/** Lock files this process holds: finding its own pid in any other one means the file outlived an
 * earlier process that had the same pid (a restarted container), not that the directory is in use. */
const heldHere = new Set<string>();

/** When the process started, in clock ticks since boot (Linux); "" where /proc is not available.
 * Recorded beside the pid so a pid reused by an unrelated process does not look like the holder. */
function startTimeOf(pid: number): string {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

interface Holder {
  pid: number;
  startTime: string;
}

function isRunning(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !holder.startTime || startTimeOf(holder.pid) === holder.startTime;
}

function readHolder(file: string): Holder | null {
  try {
    const [pid, startTime = ""] = fs.readFileSync(file, "utf8").trim().split(/\s+/);
    const number = Number.parseInt(pid ?? "", 10);
    return Number.isInteger(number) && number > 0 ? { pid: number, startTime } : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Writes the pid to a private file, then links it into place: the lock file appears complete or
 * not at all (a reader never sees it empty), and `link` fails if another process got there first. */
function tryCreate(file: string): boolean {
  const draft = `${file}.${process.pid}.${crypto.randomUUID()}`;
  fs.writeFileSync(draft, `${process.pid} ${startTimeOf(process.pid)}\n`);
  try {
    fs.linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

/** Takes the data directory for this process, or throws DataDirectoryLockedError naming the holder.
 * A lock left by a process that is gone (a crash, kill -9) is taken over. */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  const file = path.join(dataDir, LOCK_FILE);
  if (heldHere.has(file)) throw new DataDirectoryLockedError(dataDir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) {
      // Two processes may have removed the same stale file; only one of them wrote the lock.
      const holder = readHolder(file);
      if (holder?.pid !== process.pid) throw new DataDirectoryLockedError(dataDir, holder?.pid ?? 0);
      return lockHeldAt(file);
    }
    const holder = readHolder(file);
    if (holder && holder.pid !== process.pid && isRunning(holder)) {
      throw new DataDirectoryLockedError(dataDir, holder.pid);
    }
    fs.rmSync(file, { force: true });
  }
  throw new DataDirectoryLockedError(dataDir, readHolder(file)?.pid ?? 0);
}

function lockHeldAt(file: string): DataDirectoryLock {
  heldHere.add(file);
  let held = true;
  // A process that exits without closing the database (an uncaught error) leaves no lock behind.
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(file);
    process.off("exit", release);
    if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on("exit", release);
  return { release };
}
