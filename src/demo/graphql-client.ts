// The demo sets its world up the way an admin and agents would: through the GraphQL API over HTTP.

/** `T`: the shape of the data the caller selected. */
export type GraphqlCall = <T = unknown>(query: string, variables?: Record<string, unknown>) => Promise<T>;

function typedErrorOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null || !("code" in value) || !("reason" in value)) return null;
  return `${value.code}: ${value.reason}`;
}

/** A GraphQL-over-HTTP caller holding `token`; a request-level error or a typed `Error` result throws. */
export function graphqlAs(apiUrl: string, token: string): GraphqlCall {
  return async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
    if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join("; "));
    const typedError = Object.values(result.data ?? {})
      .map(typedErrorOf)
      .find(Boolean);
    if (typedError) throw new Error(typedError);
    return result.data as T;
  };
}

/** Selected on every mutation result the demo makes, so that `graphqlAs` sees typed errors. */
export const TYPED_ERROR = "... on Error { code reason: message }";
