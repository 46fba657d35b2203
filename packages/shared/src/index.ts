export * from './grpc-code';
export * from './limits';
export * from './slot-name';
export * from './secret-value';
export * from './api-schemas';
export * from './registry-host';
export * from './scopes';
export * from './token-schemas';
