package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzPasskeyEndpoints sends arbitrary JSON to the passkey endpoints of a
// signed-in browser with both ceremonies in progress: every answer is 200
// or a JSON refusal with 400, 403 or 422, never a 5xx, and no arbitrary
// body registers a passkey or signs anybody in.
func FuzzPasskeyEndpoints(f *testing.F) {
	app := startTestApp(f, unlimited)
	app.t = f
	dev := newPasskeyDevice()
	seedClient := app.client()
	seedClient.t = f
	seedClient.signup("Ada", "ada@example.com", strongPassword)
	f.Add(`{}`)
	f.Add(`{"name":"x"}`)
	f.Add(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`)
	f.Add(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}`)
	f.Add(withField(f, seedClient.passkeyAttestation(dev), "name", "Laptop"))
	f.Add(`{"response":{"clientDataJSON":"` + strings.Repeat("A", 3000) + `"}}`)
	f.Add("\x00\xff{")
	f.Add(`[]`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		// One signed-in browser for every run: a sign-in costs a hash.
		c := seedClient
		c.t = t
		for _, path := range []string{"/settings/passkeys/options", "/login/passkey/options"} {
			assertStatus(t, c.postJSON(path, "{}"), http.StatusOK)
		}
		for _, path := range []string{"/settings/passkeys", "/login/passkey"} {
			res := c.postJSON(path, body)
			switch res.StatusCode {
			case http.StatusBadRequest, http.StatusForbidden, http.StatusUnprocessableEntity:
				if jsonField(t, res, "error") == "" {
					t.Fatalf("%s: %d without a message: %s", path, res.StatusCode, res.body)
				}
			default:
				t.Fatalf("%s: status %d for %q\n%s", path, res.StatusCode, body, excerpt(res.body))
			}
		}
		if n := app.count(t, "passkeys", ""); n != 0 {
			t.Fatalf("%d passkeys stored from %q", n, body)
		}
	})
}
