package mail_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"latchkey/mail"
)

// TestEveryMessageNamesTheApp calls every message Messages builds (found by
// reflection, so a message added later is checked too) with App "Acme":
// each says Acme in its text and HTML parts and never Latchkey; with no App
// the name is Latchkey.
func TestEveryMessageNamesTheApp(t *testing.T) {
	build := func(m mail.Messages) map[string]mail.Email {
		v := reflect.ValueOf(m)
		out := map[string]mail.Email{}
		for i := range v.NumMethod() {
			method, typ := v.Method(i), v.Type().Method(i)
			if method.Type().NumOut() != 1 || method.Type().Out(0) != reflect.TypeFor[mail.Email]() {
				continue
			}
			args := make([]reflect.Value, method.Type().NumIn())
			for j := range args {
				switch in := method.Type().In(j); in {
				case reflect.TypeFor[string]():
					args[j] = reflect.ValueOf("http://acme.test/x?token=abc")
				case reflect.TypeFor[time.Duration]():
					args[j] = reflect.ValueOf(time.Hour)
				case reflect.TypeFor[time.Time]():
					args[j] = reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
				default:
					t.Fatalf("%s takes a %s: teach this test to make one", typ.Name, in)
				}
			}
			out[typ.Name] = method.Call(args)[0].Interface().(mail.Email)
		}
		return out
	}
	acme := build(mail.Messages{App: "Acme"})
	if len(acme) < 6 {
		t.Fatalf("only %d messages found: %v", len(acme), acme)
	}
	for name, e := range acme {
		m, err := e.Render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "HTML": m.HTML} {
			if strings.Contains(s, "Latchkey") {
				t.Errorf("%s: the %s says Latchkey:\n%s", name, part, s)
			}
		}
		if !strings.Contains(m.Text, "— Acme") || !strings.Contains(m.HTML, ">Acme</p>") {
			t.Errorf("%s does not sign with Acme in both parts", name)
		}
	}
	for name, e := range build(mail.Messages{}) {
		m, err := e.Render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(m.Text, "— Latchkey") || !strings.Contains(m.HTML, ">Latchkey</p>") {
			t.Errorf("%s without App does not sign with Latchkey", name)
		}
	}
}
