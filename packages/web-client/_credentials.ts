/**
 * Credentials in URLs (`http://alice:s3cr3t@host/`): taken out of the URL
 * before fetch sees it (Node's fetch refuses such URLs, Deno's prints them
 * in its errors), sent as `Authorization: Basic` as curl, Deno and Bun do,
 * and hidden as `***` wherever a URL is shown.
 *
 * @module
 */

/** A URL split into what is fetched, what is shown, and its credentials. */
export interface Target {
  /** The URL without credentials: what fetch is given. */
  href: string;
  /** The URL with its password as `***`: what messages and errors show. */
  shown: string;
  /** `Basic …` for the URL's credentials, if it had any. */
  authorization: string | undefined;
  /** The URL parsed, without credentials (`href`): not to be changed. */
  url: URL;
}

/**
 * Splits `u`, taking its credentials out of it; a URL without credentials
 * is returned as it is, at no cost.
 */
export function target(u: URL): Target {
  if (u.username === "" && u.password === "") {
    const href = u.href;
    return { href, shown: href, authorization: undefined, url: u };
  }
  // As curl, Deno and Bun: percent-decoded, UTF-8, "user:" when no password.
  const pair = `${unescape(u.username)}:${unescape(u.password)}`;
  const bytes = new TextEncoder().encode(pair);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const authorization = `Basic ${btoa(binary)}`;
  if (u.password !== "") u.password = "***";
  const shown = u.href;
  u.username = "";
  u.password = "";
  return { href: u.href, shown, authorization, url: u };
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray "%": sent as written
  }
}

// scheme://user:password@ (or scheme-relative, //user:password@) — the
// password runs to the last "@" before the path, as URL parsers read it.
const USERINFO = /((?:\b[a-z][a-z0-9+.-]*:)?\/\/[^\s/?#:@]*):[^\s/?#]*@/gi;

/**
 * `text` with the password of every URL in it shown as `***`: for strings
 * that did not come from a parsed URL (an unparsable URL, a runtime's
 * message).
 */
export function redact(text: string): string {
  return text.replace(USERINFO, "$1:***@");
}
