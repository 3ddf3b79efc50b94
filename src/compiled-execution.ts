// Subscriptions run their selection once per event per subscriber: the hot path of fan-out
// (bench/fan-out.ts). graphql-jit compiles an operation's selection into a function once, which
// then skips graphql-js' per-execution work (building the execution context, collecting fields,
// a promise per object): once a document has run a few events, they are executed by that function.
// The source stream still comes from graphql-js' createSourceEventStream: graphql-jit's own
// `subscribe` hands the operation's variables to the subscribe resolver in place of the field's
// arguments.
import {
  createSourceEventStream,
  execute,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from "graphql";
import { mapSchema, MapperKind } from "@graphql-tools/utils";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

type ResponsePath = GraphQLResolveInfo["path"];

// Pothos' Prisma plugin finds the selection a parent row was loaded with by walking `info.path`
// up to its parent field's path *object* (src/schema/shared-loads.ts, @pothos/selection-mapper):
// graphql-js hands a child the very link it gave its parent; graphql-jit builds each field's path
// afresh, so the walk would find nothing and every relation would be loaded again, row by row. A
// field resolver therefore sees its path interned: one object per response position per execution,
// an execution being keyed by its root value, the event. The subscribers of one event share the
// links; Pothos records what it finds under them per request context, so nothing crosses over.
const rootLinks = new WeakMap<object, Map<string | number, ResponsePath>>();
const childLinks = new WeakMap<ResponsePath, Map<string | number, ResponsePath>>();

function interned(path: ResponsePath, root: object): ResponsePath {
  const prev = path.prev && interned(path.prev, root);
  let siblings = prev ? childLinks.get(prev) : rootLinks.get(root);
  if (!siblings) {
    siblings = new Map();
    if (prev) childLinks.set(prev, siblings);
    else rootLinks.set(root, siblings);
  }
  let link = siblings.get(path.key);
  if (!link) {
    link = { prev, key: path.key, typename: path.typename };
    siblings.set(path.key, link);
  }
  return link;
}

function withInternedPath(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (parent, args, context, info) => {
    const root = info.rootValue;
    if (typeof root === "object" && root !== null) (info as { path: ResponsePath }).path = interned(info.path, root);
    return resolve(parent, args, context, info);
  };
}

/** The schema graphql-jit compiles against: the same types, each resolver given interned paths. */
const compilableSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();

function compilableSchema(schema: GraphQLSchema): GraphQLSchema {
  let compilable = compilableSchemas.get(schema);
  if (!compilable) {
    compilable = mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (field) =>
        field.resolve ? { ...field, resolve: withInternedPath(field.resolve) } : field,
    });
    compilableSchemas.set(schema, compilable);
  }
  return compilable;
}

type Compiled = CompiledQuery | null;

// Keyed by the parsed document: yoga's parser cache hands out one document per query text, so the
// compilations live as long as the cached documents do.
const compilations = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Compiled>>>();

function compiledOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): Compiled {
  let bySchema = compilations.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    compilations.set(schema, bySchema);
  }
  let byName = bySchema.get(document);
  if (!byName) {
    byName = new Map();
    bySchema.set(document, byName);
  }
  const key = operationName ?? "";
  let compiled = byName.get(key);
  if (compiled === undefined) {
    const result = compileQuery(compilableSchema(schema), document, operationName ?? undefined);
    // A document graphql-jit cannot compile runs on graphql-js, which reports its errors.
    compiled = isCompiledQuery(result) ? result : null;
    byName.set(key, compiled);
  }
  return compiled;
}

function operationNameOf(document: DocumentNode): string | null {
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.name?.value ?? null;
  return null;
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof (value as AsyncIterable<T> | null)?.[Symbol.asyncIterator] === "function";
}

/** Maps each value of an async iterator; `return` reaches the source at once, even while it waits. */
function mapEvents<T, R>(source: AsyncIterable<T>, map: (value: T) => R | Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const mapped = async (result: IteratorResult<T>): Promise<IteratorResult<R>> => {
    if (result.done) return { value: undefined, done: true };
    try {
      return { value: await map(result.value), done: false };
    } catch (error) {
      // As graphql-js does: a failed execution ends the stream, and the source with it.
      await iterator.return?.();
      throw error;
    }
  };
  const generator = {
    next: () => iterator.next().then(mapped),
    return: async (): Promise<IteratorResult<R>> => {
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    throw: async (error: unknown): Promise<IteratorResult<R>> => {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => generator,
  };
  return generator as AsyncGenerator<R>;
}

/**
 * `subscribe` of graphql-js, with the events executed by the operation's compiled selection once
 * its document has executed `compileAfter` events (over all its subscriptions). Compiling costs
 * a few milliseconds, about three validations; a document that runs a handful of times (a one-off,
 * a client varying its text) would pay that for nothing, so it runs on graphql-js until then.
 */
export function compiledSubscription(options: {
  compileAfter: number;
  onCompiled?: (operationName: string | null, compiled: boolean) => void;
}) {
  const executions = new WeakMap<DocumentNode, number>();
  const compiledFor = (args: ExecutionArgs): Compiled => {
    const count = executions.get(args.document) ?? 0;
    if (count > options.compileAfter) return compiledOperation(args.schema, args.document, args.operationName);
    executions.set(args.document, count + 1);
    if (count < options.compileAfter) return null;
    const compiled = compiledOperation(args.schema, args.document, args.operationName);
    options.onCompiled?.(args.operationName ?? operationNameOf(args.document), compiled !== null);
    return compiled;
  };
  return async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const variables = args.variableValues ?? {};
    return mapEvents(stream, (event) => {
      const compiled = compiledFor(args);
      // Until then, what graphql-js' subscribe does for each event: execute with the event as root value.
      return compiled ? compiled.query(event, args.contextValue, variables) : execute({ ...args, rootValue: event });
    });
  };
}
