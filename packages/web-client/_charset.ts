/**
 * Text decoding by the charset a `Content-Type` names.
 *
 * @module
 */

/**
 * The decoder for the charset `contentType` names: UTF-8 when it names
 * none, or one this runtime's TextDecoder does not know (as fetch's
 * `text()` always does).
 */
export function charsetDecoder(contentType: string | null): TextDecoder {
  if (contentType === null) return decoderFor("utf-8");
  // A server sends the same few Content-Types again and again.
  let decoder = byType.get(contentType);
  if (decoder === undefined) {
    const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(contentType);
    decoder = decoderFor((m?.[1] ?? m?.[2] ?? "utf-8").toLowerCase());
    if (byType.size < 64) byType.set(contentType, decoder);
  }
  return decoder;
}

/** Decodes `bytes` with `decoder`, right on every runtime. */
export function decode(decoder: TextDecoder, bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  if (decoder.encoding === "windows-1252" && latin1Decoder()) {
    return text.replace(
      /[\x80-\x9f]/g,
      (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!,
    );
  }
  return text;
}

/** Decodes a body with the charset its `Content-Type` names (see {@linkcode charsetDecoder}). */
export function decodeText(
  bytes: Uint8Array,
  contentType: string | null,
): string {
  return decode(charsetDecoder(contentType), bytes);
}

// Decoders are stateless when not streaming, so one per label serves all.
const decoders = new Map<string, TextDecoder>();
const byType = new Map<string, TextDecoder>();

function decoderFor(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = decoderFor("utf-8");
    }
    if (decoders.size < 64) decoders.set(label, decoder);
  }
  return decoder;
}

// windows-1252 (which "iso-8859-1" and "latin1" also name, by the Encoding
// standard) differs from ISO-8859-1 in bytes 0x80-0x9F. Node 20's decoder
// treats it as ISO-8859-1; these are the characters it should give.
const CP1252_HIGH = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ";
let brokenCp1252: boolean | undefined;

function latin1Decoder(): boolean {
  return brokenCp1252 ??=
    new TextDecoder("windows-1252").decode(Uint8Array.of(0x80)) !== "€";
}
