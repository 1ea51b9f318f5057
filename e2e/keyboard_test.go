package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focused describes document.activeElement and how its focus is drawn.
type focused struct {
	Key          string  `json:"key"`
	Tag          string  `json:"tag"`
	OutlineStyle string  `json:"outlineStyle"`
	OutlineWidth float64 `json:"outlineWidth"`
	OutlineColor string  `json:"outlineColor"`
	FocusVisible bool    `json:"focusVisible"`
	InView       bool    `json:"inView"`
}

// describeFocus names the focused element by what a test can select it
// with: #id, the form control's name, or a link's href.
const describeFocus = `(() => {
  const e = document.activeElement;
  const cs = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  let key = e.tagName.toLowerCase();
  if (e.id) key = '#' + e.id;
  else if (e.name) key = key + '[name=' + e.name + ']';
  else if (e.classList.contains('reveal')) key = 'button.reveal';
  else if (e.getAttribute('href')) key = 'a[href=' + e.getAttribute('href') + ']';
  else if (e.closest('form')) key = 'button@' + e.closest('form').getAttribute('action');
  return {key, tag: e.tagName.toLowerCase(), outlineStyle: cs.outlineStyle,
    outlineWidth: parseFloat(cs.outlineWidth) || 0, outlineColor: cs.outlineColor,
    focusVisible: e.matches(':focus-visible'),
    inView: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight};
})()`

// TestKeyboardLogin tabs through the sign-in page: focus visits every
// control of the form in reading order, each one shows a clear outline,
// and Enter submits. With scripts off the page has one control less (the
// Show password toggle) and otherwise behaves the same.
func TestKeyboardLogin(t *testing.T) {
	s := shared(t)
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			b := newTab(t, s, js)
			b.expect(b.open("/login"), http.StatusOK, "/login")
			want := []string{"#f-email", "#f-password"}
			if js {
				want = append(want, "button.reveal")
			}
			want = append(want, "input[name=remember]", "a[href=/forgot-password]", "button@/login",
				"#f-link-email", "button@/login/email")

			var order []string
			for i := 0; i < 25; i++ {
				b.do(chromedp.KeyEvent(kb.Tab))
				f, err := run(b, chromedp.Evaluate[focused](describeFocus))
				if err != nil {
					t.Fatal(err)
				}
				if f.Tag == "body" {
					break
				}
				if i == 0 && f.Key != "a[href=#main]" {
					t.Errorf("the first Tab lands on %s, want the skip link", f.Key)
				}
				if f.OutlineStyle == "none" || f.OutlineWidth < 2 || !f.FocusVisible {
					t.Errorf("%s has focus but no visible outline: %s %.0fpx %s", f.Key, f.OutlineStyle, f.OutlineWidth, f.OutlineColor)
				}
				if !f.InView {
					t.Errorf("%s has focus but is outside the window", f.Key)
				}
				order = append(order, f.Key)
			}
			got := strings.Join(order, " → ")
			if !strings.Contains(got, strings.Join(want, " → ")) {
				t.Fatalf("focus order:\n%s\nwant these in a row:\n%s", got, strings.Join(want, " → "))
			}
			t.Logf("focus order: %s", got)

			// Keyboard only: type, Tab, type, Enter.
			b.do(chromedp.Focus(chromedp.CSS("#f-email"), chromedp.NodeReady),
				chromedp.KeyEvent("nobody@example.com"), chromedp.KeyEvent(kb.Tab),
				chromedp.KeyEvent("not the password"))
			res, err := chromedp.RunResponse(b.ctx, chromedp.KeyEvent(kb.Enter))
			if err != nil {
				t.Fatalf("Enter in the password field: %v", err)
			}
			b.expect(res.Status, http.StatusUnprocessableEntity, "/login")
			b.see(".summary", "don't match")
		})
	}
}
