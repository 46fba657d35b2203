/**
 * The gRPC status codes this product speaks, and how each one surfaces on the
 * other channels: HTTP status (gRPC-gateway mapping), Connect's string code and
 * the CLI's exit code (docs/contract.md#errors and #exit-codes).
 */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code name, e.g. `NOT_FOUND`. */
export type GrpcCodeName = keyof typeof GrpcCode;
/** A gRPC status code number, e.g. `5`. */
export type GrpcCodeNumber = (typeof GrpcCode)[GrpcCodeName];

const HTTP_STATUS: Record<GrpcCodeName, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** HTTP status for a gRPC code, as gRPC-gateway maps it. */
export function httpStatusFor(code: GrpcCodeName): number {
  return HTTP_STATUS[code];
}

/** The code name for a number, or `UNKNOWN` for a number outside the table. */
export function grpcCodeName(code: number): GrpcCodeName {
  for (const [name, value] of Object.entries(GrpcCode)) {
    if (value === code) return name as GrpcCodeName;
  }
  return 'UNKNOWN';
}

/** Best gRPC code for an HTTP status that carried no gRPC body (proxies, 413, 404 on unknown routes). */
export function grpcCodeForHttpStatus(status: number): GrpcCodeName {
  switch (status) {
    case 400:
    case 413:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ALREADY_EXISTS';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 502:
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL' : 'UNKNOWN';
  }
}

const EXIT_CODE: Partial<Record<GrpcCodeName, number>> = {
  OK: 0,
  INVALID_ARGUMENT: 2,
  UNAUTHENTICATED: 3,
  PERMISSION_DENIED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 7,
  DEADLINE_EXCEEDED: 8,
  UNAVAILABLE: 9,
  INTERNAL: 10,
};

/** CLI exit code for a gRPC code (docs/contract.md#exit-codes); codes outside the table exit 1. */
export function exitCodeFor(code: GrpcCodeName): number {
  return EXIT_CODE[code] ?? 1;
}
