// `@dodil/shared/lite`: the modules without zod, for code where start-up time counts (the
// helper's credential hot path: git and docker start it for every operation). The full
// `@dodil/shared` adds the zod schemas. A module added here must not import zod, directly or
// through a sibling; the helper build fails if zod reaches its hot bundle.
export * from './grpc-code';
export * from './limits';
export * from './slot-name';
export * from './registry-host';
export * from './scopes';
