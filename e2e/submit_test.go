package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestSubmitButtonWaitsForTheAnswer: with JavaScript on, a submit button is
// disabled from the moment its form is sent until the next page comes, so
// a second press sends nothing; the button's name and value still go with
// the form; and a page the browser brings back (Back, the back-forward
// cache) has its buttons enabled again. The browser holds the POST until
// the test lets it go, so the form is caught while it is being sent.
// (Without JavaScript nothing changes: the journey tests send every form
// with scripts off.)
func TestSubmitButtonWaitsForTheAnswer(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, true)
	b.expect(b.open("/forgot-password"), http.StatusOK, "/forgot-password")
	// A name and value on the button, as a form with two buttons has. While
	// the form is being sent, the page cannot be asked anything (DevTools
	// waits for the next page), so the page notes for the test, in
	// localStorage, whether the button was disabled, then tries to send the
	// form again.
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const form = document.querySelector('form[action="/forgot-password"]');
		const btn = form.querySelector('button[type=submit]');
		btn.name = 'pressed'; btn.value = 'send';
		localStorage.clear();
		document.addEventListener('submit', () => {
			if (localStorage.getItem('tried')) return;
			localStorage.setItem('tried', 'yes');
			setTimeout(() => {
				localStorage.setItem('disabled', String(btn.disabled));
				form.requestSubmit();
			}, 100);
		});
	})()`))
	b.typeInto("#f-email", "someone@example.com")

	paused := make(chan *cdpfetch.EventRequestPaused, 8)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*cdpfetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpfetch.Enable, cdpfetch.EnableParams{Patterns: []*cdpfetch.RequestPattern{{URLPattern: "*/forgot-password"}}})
		return err
	}))
	b.do(clickOnly(forgotButton))
	var held *cdpfetch.EventRequestPaused
	select {
	case held = <-paused:
	case <-time.After(stepTimeout):
		t.Fatal("pressing the button sent nothing")
	}
	var body strings.Builder
	for _, e := range held.Request.PostDataEntries {
		body.Write(e.Bytes)
	}
	if held.Request.Method != http.MethodPost || !strings.Contains(body.String(), "pressed=send") || !strings.Contains(body.String(), "_csrf=") {
		t.Fatalf("the form went as %s %q: want the button's name and value and the CSRF token", held.Request.Method, body.String())
	}

	// Sending the form again while the answer is awaited sends nothing.
	select {
	case again := <-paused:
		t.Fatalf("the form was sent a second time (%s %s)", again.Request.Method, again.Request.URL)
	case <-time.After(time.Second):
	}

	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: held.RequestID}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, cdpfetch.Disable, cdp.Empty{})
		return err
	}))
	for end := time.Now().Add(stepTimeout); b.path() != "/verify-request"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after the answer the tab is at %s, want /verify-request", b.path())
		}
	}
	b.do(chromedp.WaitReady("main h1"))
	b.see("main h1", "Check your email")
	noted, err := run(b, chromedp.Evaluate[string](`localStorage.getItem('tried') + ' ' + localStorage.getItem('disabled')`))
	if err != nil || noted != "yes true" {
		t.Fatalf("while the form was being sent, the button was not disabled (noted %q, %v)", noted, err)
	}

	// Back: the form can be sent again.
	b.do(chromedp.NavigateBack())
	b.do(chromedp.WaitReady(forgotButton))
	if b.path() != "/forgot-password" || b.attr(forgotButton, "disabled") != "false" {
		t.Fatalf("back at %s, the button's disabled is %s", b.path(), b.attr(forgotButton, "disabled"))
	}
	// A page restored from the back-forward cache comes back as it was
	// left, button disabled; its pageshow enables it again.
	enabled, err := run(b, chromedp.Evaluate[bool](`(() => {
		const form = document.querySelector('form[action="/forgot-password"]');
		const btn = form.querySelector('button[type=submit]');
		form.setAttribute('data-sending', ''); btn.setAttribute('data-sending', ''); btn.disabled = true;
		window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
		return !btn.disabled && !form.hasAttribute('data-sending');
	})()`))
	if err != nil || !enabled {
		t.Fatalf("after pageshow the button is still disabled (%v)", err)
	}
}
