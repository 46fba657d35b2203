import { toBinary } from '@bufbuild/protobuf';
import type { DescFile, DescMessage, DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';

/**
 * Lookup tables over the descriptors the server was generated from, for
 * server reflection: files by path, files by fully-qualified symbol, and
 * extensions by extended type.
 */
export interface DescriptorIndex {
  /** Fully-qualified names of the services served, sorted. */
  readonly serviceNames: readonly string[];
  /** A file by its path (`dodil/ignite/v1/secret.proto`). */
  fileByPath(path: string): DescFile | undefined;
  /** The file defining a message, enum, service, method, field or extension. */
  fileBySymbol(symbol: string): DescFile | undefined;
  /** The file defining extension `number` of `typeName`. */
  fileByExtension(typeName: string, number: number): DescFile | undefined;
  /** The extension numbers known for `typeName`, or undefined for an unknown message type. */
  extensionNumbersOf(typeName: string): number[] | undefined;
  /** `file` then, depth first, every file it imports that is not in `skip` (paths). */
  withDependencies(file: DescFile, skip: ReadonlySet<string>): DescFile[];
  /** The serialized google.protobuf.FileDescriptorProto of a file, computed once. */
  serialized(file: DescFile): Uint8Array;
}

/** Path of a file as it is imported (DescFile.name drops the `.proto`). */
export const filePath = (file: DescFile): string => file.proto.name;

/** Builds the index of `services` and, transitively, every file they need. */
export function indexDescriptors(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const messageTypes = new Set<string>();
  const bytes = new Map<string, Uint8Array>();

  function addMessage(file: DescFile, message: DescMessage): void {
    symbols.set(message.typeName, file);
    messageTypes.add(message.typeName);
    for (const field of message.fields) symbols.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) symbols.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const nested of message.nestedEnums) symbols.set(nested.typeName, file);
    for (const ext of message.nestedExtensions)
      addExtension(file, ext.typeName, ext.extendee.typeName, ext.number);
  }

  function addExtension(file: DescFile, name: string, extendee: string, number: number): void {
    symbols.set(name, file);
    let byNumber = extensions.get(extendee);
    if (byNumber === undefined) {
      byNumber = new Map();
      extensions.set(extendee, byNumber);
    }
    byNumber.set(number, file);
  }

  function addFile(file: DescFile): void {
    if (files.has(filePath(file))) return;
    files.set(filePath(file), file);
    for (const message of file.messages) addMessage(file, message);
    for (const e of file.enums) symbols.set(e.typeName, file);
    for (const ext of file.extensions) addExtension(file, ext.typeName, ext.extendee.typeName, ext.number);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dep of file.dependencies) addFile(dep);
  }

  for (const service of services) addFile(service.file);

  return {
    serviceNames: services.map((s) => s.typeName).sort(),
    fileByPath: (path) => files.get(path),
    // Clients send symbols without the leading dot, but accept it anyway.
    fileBySymbol: (symbol) => symbols.get(symbol.startsWith('.') ? symbol.slice(1) : symbol),
    fileByExtension: (typeName, number) => extensions.get(typeName)?.get(number),
    extensionNumbersOf(typeName) {
      if (!messageTypes.has(typeName)) return undefined;
      return [...(extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
    },
    withDependencies(file, skip) {
      const out: DescFile[] = [];
      const seen = new Set<string>(skip);
      const visit = (f: DescFile) => {
        if (seen.has(filePath(f))) return;
        seen.add(filePath(f));
        out.push(f);
        for (const dep of f.dependencies) visit(dep);
      };
      // The requested file is always sent, even when the client has it already.
      seen.delete(filePath(file));
      visit(file);
      return out;
    },
    serialized(file) {
      let b = bytes.get(filePath(file));
      if (b === undefined) {
        b = toBinary(FileDescriptorProtoSchema, file.proto);
        bytes.set(filePath(file), b);
      }
      return b;
    },
  };
}
