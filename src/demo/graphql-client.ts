// The demo sets its world up the way an admin and agents would: through the GraphQL API over HTTP.

export type GraphqlCall = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** A GraphQL-over-HTTP caller holding `token`; a request-level error or a typed `Error` result throws. */
export function graphqlAs(apiUrl: string, token: string): GraphqlCall {
  return async (query, variables = {}) => {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
    if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join("; "));
    for (const value of Object.values(result.data ?? {})) {
      if (value?.code && value?.reason) throw new Error(`${value.code}: ${value.reason}`);
    }
    return result.data;
  };
}

/** Selected on every mutation result the demo makes, so that `graphqlAs` sees typed errors. */
export const TYPED_ERROR = "... on Error { code reason: message }";
