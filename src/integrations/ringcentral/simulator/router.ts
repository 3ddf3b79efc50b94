// Matches request paths against route patterns such as
// `/restapi/v1.0/account/:accountId/extension/:extensionId/presence`. A `~` in the request path
// stands for the caller's own account (`:accountId`) or extension (`:extensionId`), as on
// RingCentral; the router resolves it so handlers only ever see real ids.

import type { Route } from "./core.ts";

interface CompiledRoute<R> {
  route: R;
  segments: string[];
  /** Literal segments win over parameters when two patterns match the same path. */
  literalCount: number;
}

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

export interface Caller {
  accountId: string;
  extensionId: string;
}

/** Which caller id a `~` in a given parameter position stands for. */
function resolveTilde(paramName: string, caller: Caller | null): string | undefined {
  if (!caller) return undefined;
  if (paramName === "accountId") return caller.accountId;
  if (paramName === "extensionId") return caller.extensionId;
  return undefined;
}

function splitPath(path: string): string[] {
  return path.replace(/\/+$/, "").split("/");
}

export class Router<R extends Pick<Route, "method" | "path"> = Route> {
  private readonly routes: CompiledRoute<R>[] = [];

  add(route: R): void {
    const segments = splitPath(route.path);
    this.routes.push({ route, segments, literalCount: segments.filter((s) => !s.startsWith(":")).length });
    // Most specific first, so `/subscription/:id/renew` never loses to a catch-all-like pattern.
    this.routes.sort((a, b) => b.literalCount - a.literalCount);
  }

  /** The route for method + path, or `methodMismatch` when only another method exists for the path. */
  match(method: string, path: string, caller: Caller | null): RouteMatch<R> | "methodMismatch" | undefined {
    const requested = splitPath(path).map((s) => safeDecode(s));
    let pathExists = false;
    for (const compiled of this.routes) {
      const params = matchSegments(compiled.segments, requested, caller);
      if (!params) continue;
      if (compiled.route.method !== method) {
        pathExists = true;
        continue;
      }
      return { route: compiled.route, params };
    }
    return pathExists ? "methodMismatch" : undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(
  pattern: string[],
  requested: string[],
  caller: Caller | null,
): Record<string, string> | undefined {
  if (pattern.length !== requested.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = requested[i]!;
    if (expected.startsWith(":")) {
      if (actual === "") return undefined;
      const name = expected.slice(1);
      params[name] = actual === "~" ? (resolveTilde(name, caller) ?? actual) : actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
