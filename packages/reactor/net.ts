// The TCP layer's public names, re-exported by mod.ts (named where a file
// also holds internal helpers).
export * from "./endpoints.ts";
export * from "./line_receiver.ts";
export * from "./protocol.ts";
export * from "./tcp.ts";
export { IPv4Address, IPv6Address, type TCPAddress } from "./tcp_address.ts";
export * from "./tcp_errors.ts";
export type * from "./tcp_interfaces.ts";
export * from "./tcp_testing.ts";
export { TCPTransport } from "./transport.ts";
