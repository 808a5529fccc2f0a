/**
 * Bad values for an argument in seconds, shared by the tests of every API
 * that takes one (callLater, Clock.advance, LoopingCall.start, deferLater):
 * each with the error type it must get and how the message shows it.
 *
 * @module
 */

/** [value, expected error class, the value as the message shows it]. */
export const BAD_SECONDS: readonly [unknown, typeof TypeError, string][] = [
  ["5", TypeError, '"5"'],
  [[5], TypeError, "[5]"],
  [true, TypeError, "true"],
  [{}, TypeError, "{}"],
  [undefined, TypeError, "undefined"],
  [NaN, RangeError, "NaN"],
  [-1, RangeError, "-1"],
  [-Infinity, RangeError, "-Infinity"],
  [Infinity, RangeError, "Infinity"],
];
