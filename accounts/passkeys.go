package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"latchkey/db"
)

// Passkeys are WebAuthn credentials (DESIGN.md, "Second factor and
// passkeys"). go-webauthn does the protocol: the options, parsing and
// verifying attestations and assertions, the counters. This file keeps
// what is Latchkey's: who may add one (the handlers check the sudo
// window), the rule that user verification is required (so a passkey
// sign-in counts as both factors), discoverable credentials only (the
// sign-in starts with no address typed), one random user handle per
// account (db.WebAuthnHandle), the notices, and which failures mean what.
//
// A ceremony's state (go-webauthn's SessionData: the challenge, the user
// handle, the deadline) is a PasskeyCeremony that the caller keeps on the
// server, in the browser's session, and hands back exactly once.

// PasskeyCeremony is the server-side state of one registration or sign-in
// ceremony, opaque to the caller.
type PasskeyCeremony string

// PasskeyError is a passkey request that was refused; Reason is for the
// user. Nothing was stored.
type PasskeyError struct {
	Reason string
	Err    error
}

func (e *PasskeyError) Error() string {
	return "passkey refused: " + e.Reason + ": " + fmt.Sprint(e.Err)
}
func (e *PasskeyError) Unwrap() error { return e.Err }

// Reasons a passkey request is refused, as the user reads them.
const (
	MsgPasskeyMalformed = "We couldn't read what your browser sent for the passkey. Please try again."
	MsgPasskeyExpired   = "That passkey request has expired or was already used. Please try again."
	MsgPasskeyFailed    = "That passkey couldn't be verified. Please try again."
	MsgPasskeyUnknown   = "We don't recognise that passkey. Sign in another way, then add it in your settings."
	MsgPasskeyCloned    = "That passkey's signature counter went backwards, which can mean it was copied, so it wasn't accepted. Sign in another way, and remove it from your settings."
	MsgPasskeyTaken     = "That passkey is already registered."
)

// ErrPasskeysUnavailable: BASE_URL gives no origin a browser accepts for
// WebAuthn (no host, or an IP address), so passkeys are off.
var ErrPasskeysUnavailable = errors.New("passkeys unavailable: BASE_URL has no host name")

// ErrPasskeyNotFound: the account has no passkey by that id (removed
// already, or someone else's).
var ErrPasskeyNotFound = errors.New("passkey not found")

// passkeyCeremonyTimeout is how long the browser is given for one
// ceremony, and how long its state is accepted.
const passkeyCeremonyTimeout = 5 * time.Minute

// initPasskeys sets up WebAuthn for BASE_URL: its host is the relying
// party id and its origin the only origin accepted. Without a host (a CLI
// run, some tests), or with an IP address for one (browsers refuse
// WebAuthn there: `make run` on 127.0.0.1, say), passkeys are simply off.
func (s *Service) initPasskeys() error {
	u, err := url.Parse(s.BaseURL)
	if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
		return nil
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: passkeyCeremonyTimeout, TimeoutUVD: passkeyCeremonyTimeout}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: s.appName(),
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		Timeouts:      webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return fmt.Errorf("passkeys: %w", err)
	}
	s.webauthn = w
	return nil
}

// PasskeysEnabled reports whether passkeys can be used with this BASE_URL.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil }

// passkeyUser is an account as go-webauthn sees it.
type passkeyUser struct {
	handle []byte
	user   db.User
	keys   []db.Passkey
}

func (p passkeyUser) WebAuthnID() []byte          { return p.handle }
func (p passkeyUser) WebAuthnName() string        { return p.user.Email }
func (p passkeyUser) WebAuthnDisplayName() string { return p.user.Name }
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(p.keys))
	for i, k := range p.keys {
		out[i] = credentialOf(k)
	}
	return out
}

func credentialOf(k db.Passkey) webauthn.Credential {
	c := webauthn.Credential{ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: k.UserVerified, BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount}}
	for _, t := range k.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// ListPasskeys is the user's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, userID int64) ([]db.Passkey, error) {
	keys, err := s.DB.UserPasskeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return keys, nil
}

// BeginPasskeyRegistration starts adding a passkey for the signed-in user:
// the options for navigator.credentials.create as {"publicKey":{…}}, and
// the ceremony to keep. The user's passkeys are excluded, so one
// authenticator is not registered twice.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, user db.User) ([]byte, PasskeyCeremony, error) {
	if s.webauthn == nil {
		return nil, "", ErrPasskeysUnavailable
	}
	var pu passkeyUser
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		h, err := q.WebAuthnHandle(ctx, user.ID)
		if err != nil {
			return err
		}
		keys, err := q.UserPasskeys(ctx, user.ID)
		pu = passkeyUser{handle: h, user: user, keys: keys}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(pu.keys))
	for _, c := range pu.WebAuthnCredentials() {
		exclude = append(exclude, c.Descriptor())
	}
	yes := true
	creation, sd, err := s.webauthn.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: &yes,
			UserVerification: protocol.VerificationRequired}),
		webauthn.WithExclusions(exclude),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	return marshalCeremony(creation, sd)
}

func marshalCeremony(options any, sd *webauthn.SessionData) ([]byte, PasskeyCeremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, "", fmt.Errorf("passkey options: %w", err)
	}
	state, err := json.Marshal(sd)
	if err != nil {
		return nil, "", fmt.Errorf("passkey options: %w", err)
	}
	return opts, PasskeyCeremony(state), nil
}

func (c PasskeyCeremony) data() (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if c == "" {
		return sd, &PasskeyError{Reason: MsgPasskeyExpired, Err: errors.New("no ceremony in this session")}
	}
	if err := json.Unmarshal([]byte(c), &sd); err != nil {
		return sd, &PasskeyError{Reason: MsgPasskeyExpired, Err: err}
	}
	return sd, nil
}

// refused turns go-webauthn's verdict into a PasskeyError.
func refused(err error) error {
	var pe *PasskeyError
	if errors.As(err, &pe) {
		return pe
	}
	var perr *protocol.Error
	if errors.As(err, &perr) && strings.Contains(strings.ToLower(perr.Details), "expired") {
		return &PasskeyError{Reason: MsgPasskeyExpired, Err: err}
	}
	return &PasskeyError{Reason: MsgPasskeyFailed, Err: err}
}

// FinishPasskeyRegistration verifies the attestation the browser sent
// (the PublicKeyCredential as JSON) against the ceremony, stores the
// passkey under name and tells the owner. A *PasskeyError says why it was
// refused; a name the name rules refuse is an error wrapping
// auth.ErrNameTooLong or auth.ErrNameCharacters.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, user db.User, c PasskeyCeremony, body []byte, name string, o Origin) (db.Passkey, error) {
	if s.webauthn == nil {
		return db.Passkey{}, ErrPasskeysUnavailable
	}
	sd, err := c.data()
	if err != nil {
		return db.Passkey{}, err
	}
	if err := checkName(name); err != nil {
		return db.Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return db.Passkey{}, &PasskeyError{Reason: MsgPasskeyMalformed, Err: err}
	}
	var created db.Passkey
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		h, err := q.WebAuthnHandle(ctx, user.ID)
		if err != nil {
			return err
		}
		cred, err := s.webauthn.CreateCredential(passkeyUser{handle: h, user: user}, sd, parsed)
		if err != nil {
			return refused(err)
		}
		p := db.Passkey{UserID: user.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey, AttestationType: cred.AttestationType,
			AAGUID: cred.Authenticator.AAGUID, SignCount: cred.Authenticator.SignCount, UserVerified: cred.Flags.UserVerified,
			BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, Name: name}
		for _, t := range cred.Transport {
			p.Transports = append(p.Transports, string(t))
		}
		created, err = q.CreatePasskey(ctx, p, s.now())
		if errors.Is(err, db.ErrPasskeyTaken) {
			return &PasskeyError{Reason: MsgPasskeyTaken, Err: err}
		}
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, user.ID, entry{kind: KindPasskeyAdded, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, "A passkey was added to your "+s.appName()+" account",
			"A passkey named “"+name+"” was added to your account: it can now be used to sign in.", o)
	})
	var pe *PasskeyError
	if errors.As(err, &pe) {
		return db.Passkey{}, pe
	}
	if err != nil {
		return db.Passkey{}, fmt.Errorf("finish passkey registration: %w", err)
	}
	s.mailQueued()
	return created, nil
}

// BeginPasskeySignIn starts a sign-in with a discoverable passkey: the
// options for navigator.credentials.get (no address asked, no credentials
// listed, user verification required) and the ceremony to keep.
func (s *Service) BeginPasskeySignIn() ([]byte, PasskeyCeremony, error) {
	if s.webauthn == nil {
		return nil, "", ErrPasskeysUnavailable
	}
	assertion, sd, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	return marshalCeremony(assertion, sd)
}

// errPasskeyUnknown: no passkey has that credential id, or it is not the
// passkey of the account the user handle names.
var errPasskeyUnknown = errors.New("unknown passkey")

// CompletePasskeySignIn verifies the assertion the browser sent against
// the ceremony and opens the signed-in session it proves. The passkey must
// be registered to the account whose user handle the authenticator
// returned; its signature counter must have moved forward (one that went
// back is a copied authenticator, or a replay); the account must be
// confirmed and not disabled (ErrUnconfirmed, ErrDisabled). A *PasskeyError
// says why it was refused. What it writes is one transaction: the passkey's use (counter, last used), the
// end of the session record this browser was signed in to (replaces, if
// any), the new record and the sign-in's line of the activity log. Of two
// requests that race with one assertion, or with a copy of the
// authenticator, one opens a session and the other is refused with
// MsgPasskeyCloned, writing nothing.
func (s *Service) CompletePasskeySignIn(ctx context.Context, c PasskeyCeremony, body []byte, replaces string, o Origin) (SignedIn, error) {
	v, err := s.verifyPasskey(ctx, c, body)
	if err != nil {
		return SignedIn{}, err
	}
	var in SignedIn
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := s.recordPasskeyUse(ctx, q, v); err != nil {
			return err
		}
		if err := s.endSession(ctx, q, replaces); err != nil {
			return err
		}
		sess, err := s.openSession(ctx, q, v.owner.ID, db.SessionBrowser, MethodPasskey, o)
		in = SignedIn{User: v.owner, Session: sess}
		return err
	})
	var pe *PasskeyError
	if errors.As(err, &pe) {
		return SignedIn{}, pe
	}
	if err != nil {
		return SignedIn{}, fmt.Errorf("sign in with passkey: %w", err)
	}
	return in, nil
}

// verifiedPasskey is an assertion that checked: the passkey as it was
// read, its owner, and what the authenticator said this time.
type verifiedPasskey struct {
	key   db.Passkey
	owner db.User
	cred  *webauthn.Credential
}

// recordPasskeyUse stores the assertion's counter and flags in q: a
// *PasskeyError when the counter moved meanwhile.
func (s *Service) recordPasskeyUse(ctx context.Context, q *db.Queries, v verifiedPasskey) error {
	moved, err := q.RecordPasskeyUse(ctx, v.key.ID, v.key.SignCount, v.cred.Authenticator.SignCount,
		v.cred.Flags.BackupState, v.cred.Flags.UserVerified, s.now())
	if err != nil {
		return fmt.Errorf("sign in with passkey: %w", err)
	}
	if !moved {
		// Another assertion with this passkey was recorded between the
		// read and now: this one is a replay or a copy.
		return &PasskeyError{Reason: MsgPasskeyCloned, Err: errors.New("counter moved during sign-in")}
	}
	return nil
}

// verifyPasskey is every check of CompletePasskeySignIn but the counter's
// write: two reads (the passkey, its owner) and go-webauthn's verdict.
func (s *Service) verifyPasskey(ctx context.Context, c PasskeyCeremony, body []byte) (verifiedPasskey, error) {
	if s.webauthn == nil {
		return verifiedPasskey{}, ErrPasskeysUnavailable
	}
	sd, err := c.data()
	if err != nil {
		return verifiedPasskey{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return verifiedPasskey{}, &PasskeyError{Reason: MsgPasskeyMalformed, Err: err}
	}
	var key db.Passkey
	var owner db.User
	find := func(rawID, handle []byte) (webauthn.User, error) {
		k, u, err := s.DB.PasskeyOwner(ctx, rawID, handle)
		if errors.Is(err, db.ErrNotFound) {
			return nil, errPasskeyUnknown
		}
		if err != nil {
			return nil, err
		}
		key, owner = k, u
		return passkeyUser{handle: bytes.Clone(handle), user: u, keys: []db.Passkey{k}}, nil
	}
	_, cred, err := s.webauthn.ValidatePasskeyLogin(find, sd, parsed)
	switch {
	case errors.Is(err, errPasskeyUnknown):
		return verifiedPasskey{}, &PasskeyError{Reason: MsgPasskeyUnknown, Err: err}
	case err != nil:
		return verifiedPasskey{}, refused(err)
	case cred.Authenticator.CloneWarning:
		return verifiedPasskey{}, &PasskeyError{Reason: MsgPasskeyCloned, Err: fmt.Errorf("counter %d after %d", parsed.Response.AuthenticatorData.Counter, key.SignCount)}
	case owner.Disabled():
		return verifiedPasskey{}, ErrDisabled
	case !owner.Verified():
		return verifiedPasskey{}, ErrUnconfirmed
	}
	return verifiedPasskey{key: key, owner: owner, cred: cred}, nil
}

// DeletePasskey removes one of the user's passkeys and tells the owner;
// ErrPasskeyNotFound when the account has none by that id. Always
// allowed: an emailed link still signs in.
func (s *Service) DeletePasskey(ctx context.Context, user db.User, id int64, o Origin) error {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		p, err := q.DeleteUserPasskey(ctx, user.ID, id)
		if errors.Is(err, db.ErrNotFound) {
			return ErrPasskeyNotFound
		}
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, user.ID, entry{kind: KindPasskeyRemoved, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, "A passkey was removed from your "+s.appName()+" account",
			"The passkey named “"+p.Name+"” was removed from your account: it can no longer be used to sign in.", o)
	})
	if errors.Is(err, ErrPasskeyNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	s.mailQueued()
	return nil
}
