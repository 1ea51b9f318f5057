// Package auth holds the security logic of Latchkey that needs neither HTTP nor
// a database: password hashing with a bounded number of hashes in flight, the
// password policy, one-time tokens, the canonical key of an email address
// (what makes two spellings one account), the rule for display names
// (CheckName), the sanitizer for "next" redirects, and the second factor's
// pieces: authenticator codes (RFC 6238 through pquerna/otp) with their QR
// code, recovery codes, the sealing of secrets with SECRET_KEY and the
// tokens of remembered browsers.
//
// It imports only the standard library, the hashing and strength libraries,
// golang.org/x/text and x/net/idna (PRECIS, width and case folding, IDNA for
// email keys) and pquerna/otp (one-time codes); it must never import db, echo or handlers, so every
// rule here is testable with plain values.
package auth
