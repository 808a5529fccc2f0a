// Placeholder re-export module for the TCP layer; the TCP engineer replaces it.
export {};
