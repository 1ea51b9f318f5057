package handlers

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// passkeyDevice is a software authenticator with one passkey on it: it
// answers the server's options as a browser and its authenticator would
// (descope/virtualwebauthn builds and signs the attestation and assertion
// responses).
type passkeyDevice struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// newPasskeyDevice is an authenticator for the test app's BASE_URL
// (http://latchkey.test: the origin the server checks, whatever address
// the test server listens on).
func newPasskeyDevice() *passkeyDevice {
	return &passkeyDevice{
		rp:   virtualwebauthn.RelyingParty{ID: "latchkey.test", Name: "Latchkey", Origin: "http://latchkey.test"},
		auth: virtualwebauthn.NewAuthenticator(),
		cred: newPasskeyCredential(),
	}
}

// newPasskeyCredential is a new P-256 key pair for the device. virtualwebauthn
// writes the public key's coordinates without their leading zero bytes, which
// go-webauthn rightly refuses ("EC2 key x or y coordinate has invalid
// length"), so the rare key with such a coordinate (1 in 128) is drawn again.
func newPasskeyCredential() virtualwebauthn.Credential {
	for {
		cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		key, err := x509.ParsePKCS8PrivateKey(cred.Key.Data)
		if err != nil {
			panic(err)
		}
		pub, err := key.(*ecdsa.PrivateKey).PublicKey.Bytes() // 0x04 ‖ X ‖ Y, 32 bytes each
		if err != nil {
			panic(err)
		}
		if pub[1] != 0 && pub[33] != 0 {
			return cred
		}
	}
}

// postJSON posts body as JSON with this browser's CSRF token in the
// X-CSRF-Token header, as static/passkeys.js does.
func (c *client) postJSON(path, body string) *response {
	c.t.Helper()
	return c.postJSONWith(path, body, map[string]string{"X-CSRF-Token": c.csrf()})
}

func (c *client) postJSONWith(path, body string, hdr map[string]string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// jsonField reads one string member of a JSON answer.
func jsonField(t testing.TB, res *response, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(res.body), &m); err != nil {
		t.Fatalf("%s %s: not JSON: %v\n%s", res.Request.Method, res.Request.URL.Path, err, excerpt(res.body))
	}
	s, _ := m[name].(string)
	return s
}

// withField adds a member to a JSON object.
func withField(t testing.TB, obj string, name string, value any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		t.Fatal(err)
	}
	m[name] = value
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// passkeyAttestation asks for registration options and returns the
// device's answer to them (not yet sent).
func (c *client) passkeyAttestation(d *passkeyDevice) string {
	c.t.Helper()
	res := c.postJSON("/settings/passkeys/options", "{}")
	assertStatus(c.t, res, http.StatusOK)
	opts, err := virtualwebauthn.ParseAttestationOptions(res.body)
	if err != nil {
		c.t.Fatalf("registration options: %v\n%s", err, res.body)
	}
	if !strings.Contains(res.body, `"publicKey"`) || !strings.Contains(res.body, `"userVerification":"required"`) ||
		!strings.Contains(res.body, `"residentKey":"required"`) {
		c.t.Fatalf("registration options must ask for a discoverable credential with user verification: %s", res.body)
	}
	d.auth.Options.UserHandle = []byte(opts.UserID)
	return virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *opts)
}

// addPasskey registers the device's passkey under name and expects it to
// be accepted.
func (c *client) addPasskey(d *passkeyDevice, name string) {
	c.t.Helper()
	res := c.postJSON("/settings/passkeys", withField(c.t, c.passkeyAttestation(d), "name", name))
	if res.StatusCode != http.StatusOK {
		c.t.Logf("the server logged:\n%s", c.app.logs.String())
	}
	assertStatus(c.t, res, http.StatusOK)
	if got := jsonField(c.t, res, "redirect"); got != "/settings/passkeys" {
		c.t.Fatalf("add passkey: redirect %q", got)
	}
	d.auth.AddCredential(d.cred)
}

// passkeyAssertion asks for sign-in options and returns the device's
// signed answer to them (not yet sent).
func (c *client) passkeyAssertion(d *passkeyDevice) string {
	c.t.Helper()
	res := c.postJSON("/login/passkey/options", "{}")
	assertStatus(c.t, res, http.StatusOK)
	if !strings.Contains(res.body, `"userVerification":"required"`) {
		c.t.Fatalf("sign-in options must require user verification: %s", res.body)
	}
	opts, err := virtualwebauthn.ParseAssertionOptions(res.body)
	if err != nil {
		c.t.Fatalf("sign-in options: %v\n%s", err, res.body)
	}
	return virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, d.cred, *opts)
}

// passkeySignIn signs in with the device's passkey and returns the answer.
func (c *client) passkeySignIn(d *passkeyDevice) *response {
	c.t.Helper()
	return c.postJSON("/login/passkey", c.passkeyAssertion(d))
}
