// RingCentral's list envelope: `{uri, records, paging, navigation}` with 1-based `page`/`perPage`
// query parameters. Shared by every list endpoint of the simulator.

import type { SimContext, SimRequest } from "./core.ts";

export interface PagedList<T> {
  uri: string;
  records: T[];
  paging: {
    page: number;
    perPage: number;
    pageStart?: number;
    pageEnd?: number;
    totalPages: number;
    totalElements: number;
  };
  navigation: {
    firstPage?: { uri: string };
    nextPage?: { uri: string };
    previousPage?: { uri: string };
    lastPage?: { uri: string };
  };
}

function positiveInt(value: string | null, fallback: number): number {
  const parsed = value === null ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

function pageUri(ctx: SimContext, req: SimRequest, page: number, perPage: number): string {
  const query = new URLSearchParams(req.query);
  query.set("page", String(page));
  query.set("perPage", String(perPage));
  return `${ctx.baseUrl()}${req.path}?${query}`;
}

/** One page of `all`, as `?page=&perPage=` ask (RingCentral's default perPage is 100). */
export function pageOf<T>(all: T[], req: SimRequest, ctx: SimContext, defaultPerPage = 100): PagedList<T> {
  const perPage = Math.min(positiveInt(req.query.get("perPage"), defaultPerPage), 1000);
  const totalPages = Math.max(1, Math.ceil(all.length / perPage));
  const page = positiveInt(req.query.get("page"), 1);
  const start = (page - 1) * perPage;
  const records = all.slice(start, start + perPage);
  const paging: PagedList<T>["paging"] = { page, perPage, totalPages, totalElements: all.length };
  if (records.length > 0) {
    paging.pageStart = start;
    paging.pageEnd = start + records.length - 1;
  }
  const navigation: PagedList<T>["navigation"] = {
    firstPage: { uri: pageUri(ctx, req, 1, perPage) },
    lastPage: { uri: pageUri(ctx, req, totalPages, perPage) },
  };
  if (page < totalPages) navigation.nextPage = { uri: pageUri(ctx, req, page + 1, perPage) };
  if (page > 1) navigation.previousPage = { uri: pageUri(ctx, req, page - 1, perPage) };
  return { uri: pageUri(ctx, req, page, perPage), records, paging, navigation };
}
