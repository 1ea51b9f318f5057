package handlers

import (
	"errors"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/locales/en"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	entranslations "github.com/go-playground/validator/v10/translations/en"
	"github.com/labstack/echo/v4"

	"latchkey/auth"
	"latchkey/views"
)

// validation is the validator with English messages, built once.
type validation struct {
	v     *validator.Validate
	trans ut.Translator
}

var (
	validationOnce sync.Once
	validate       *validation
)

func getValidation() *validation {
	validationOnce.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		// Errors are keyed by the form field's name, and messages name
		// the field by its label tag: "Email address is required".
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			if l := f.Tag.Get("label"); l != "" {
				return l
			}
			return f.Tag.Get("form")
		})
		// personname is docs/ARCHITECTURE.md's "Names" rule beyond its
		// length: no control characters and no bidirectional controls. Every form
		// that takes a name uses it: validate:"required,max=100,personname".
		if err := v.RegisterValidation("personname", func(fl validator.FieldLevel) bool {
			return auth.CheckName(fl.Field().String()) == nil
		}); err != nil {
			panic(err)
		}
		english := en.New()
		trans, _ := ut.New(english, english).GetTranslator("en")
		if err := entranslations.RegisterDefaultTranslations(v, trans); err != nil {
			panic(err)
		}
		registerEmail(v, trans)
		// Friendlier wording than the defaults, written for people.
		override := map[string]string{
			"required":   "Enter your {0}.",
			"personname": "Your {0} can't contain line breaks, tabs or hidden characters that change how text is shown. Please type it again.",
		}
		for tag, text := range override {
			_ = v.RegisterTranslation(tag, trans, func(ut ut.Translator) error {
				return ut.Add(tag, text, true)
			}, func(ut ut.Translator, fe validator.FieldError) string {
				t, _ := ut.T(fe.Tag(), strings.ToLower(fe.Field()))
				return t
			})
		}
		validate = &validation{v: v, trans: trans}
	})
	return validate
}

// Messages of an address the library's syntax check accepts but that has no
// canonical key (auth.EmailKey), so it could never be an account.
const (
	msgEmailDomain = "We can't send email to that address: the part after the @ isn't a valid domain name. Check it for typos."
	msgEmailLocal  = "That address has characters we can't accept before the @. Check it for typos."
)

// registerEmail makes the "email" tag mean an address that can be an
// account: the library's syntax check, then auth.EmailKey, which refuses a
// domain that IDNA refuses ("a@xn--a.com", "a@ex\u200dample.com") and
// control or unassigned code points in the local part. Redefining the tag
// itself, rather than adding one beside it, makes every form that takes an
// email (signup, login, login/email, forgot-password, settings/email, and
// any added later) answer alike, 422 with a message for a person, and none
// can forget it: no address without a key reaches accounts.
func registerEmail(v *validator.Validate, trans ut.Translator) {
	syntax := validator.New()
	reason := func(s string) string {
		if syntax.Var(s, "email") != nil {
			return "email"
		}
		_, err := auth.EmailKey(s)
		switch {
		case err == nil:
			return ""
		case errors.Is(err, auth.ErrEmailDomain):
			return msgEmailDomain
		default:
			return msgEmailLocal
		}
	}
	if err := v.RegisterValidation("email", func(fl validator.FieldLevel) bool {
		return reason(fl.Field().String()) == ""
	}); err != nil {
		panic(err)
	}
	_ = v.RegisterTranslation("email", trans, func(ut ut.Translator) error {
		return ut.Add("email", "Enter an email address like name@example.com.", true)
	}, func(ut ut.Translator, fe validator.FieldError) string {
		s, _ := fe.Value().(string)
		if r := reason(s); r != "email" && r != "" {
			return r
		}
		t, _ := ut.T("email")
		return t
	})
}

// maxFieldBytes caps every form value before validation runs: no field of
// ours is longer (the longest, a returned-to path, is 2 KiB), and a
// validator or password checker never sees more.
const maxFieldBytes = 4 << 10

// Messages of bind's refusals, made before validation.
const (
	msgFormUnreadable = "We couldn't read that form. Please try again."
	msgFormRefused    = "Some of what you sent can't be accepted. Please check it and try again."
	msgBadText        = "This contains characters we can't accept. Please type it again."
	msgTooLong        = "This is far too long. Please shorten it."
)

// bind reads the request's form into dst (a pointer to a struct with form,
// validate and label tags) and validates it. It returns nil when all is
// well, or one message per form field, keyed by the field's name (and a
// general one under "").
//
// Before validation it refuses values over maxFieldBytes, and text that is
// not valid UTF-8 or has control characters: only an attack or a broken
// client sends those. A refused field is left empty in dst, so it is never
// echoed back into the page. String fields tagged trim:"true" are trimmed
// before validation.
func bind(c echo.Context, dst any) views.Errors {
	form, err := c.FormParams()
	if err != nil {
		return views.Errors{"": msgFormUnreadable}
	}
	if err := (&echo.DefaultBinder{}).BindBody(c, dst); err != nil {
		return views.Errors{"": msgFormUnreadable}
	}
	errs := views.Errors{}
	for name, values := range form {
		for _, v := range values {
			switch {
			case len(v) > maxFieldBytes:
				errs[name] = msgTooLong
			case !validText(v):
				errs[name] = msgBadText
			}
		}
	}
	if len(errs) > 0 {
		clearFields(dst, errs)
		errs[""] = msgFormRefused
		return errs
	}
	trimFields(dst)
	return check(dst)
}

// trimFields trims surrounding white space from the string fields tagged
// trim:"true", before they are validated: phones and autofill often add a
// space after an address, and " ada@example.com" must not be refused as a
// malformed address. Passwords are never tagged: they are used as typed.
func trimFields(dst any) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if v.Type().Field(i).Tag.Get("trim") == "true" && f.Kind() == reflect.String && f.CanSet() {
			f.SetString(strings.TrimSpace(f.String()))
		}
	}
}

// refused reports whether bind turned the form away before validation.
func refused(errs views.Errors) bool {
	msg := errs[""]
	return msg == msgFormRefused || msg == msgFormUnreadable
}

// clearFields empties the string fields of dst named in errs.
func clearFields(dst any, errs views.Errors) {
	v := reflect.ValueOf(dst).Elem()
	for field, name := range formNames(dst) {
		if _, bad := errs[name]; bad {
			if f := v.FieldByName(field); f.Kind() == reflect.String {
				f.SetString("")
			}
		}
	}
}

// check validates a bound struct.
func check(dst any) views.Errors {
	val := getValidation()
	err := val.v.Struct(dst)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return views.Errors{"": msgFormUnreadable}
	}
	names := formNames(dst)
	errs := views.Errors{}
	for _, fe := range verrs {
		name := names[fe.StructField()]
		if _, seen := errs[name]; !seen {
			errs[name] = sentence(fe.Translate(val.trans))
		}
	}
	return errs
}

// formNames maps struct field names to their form names.
func formNames(dst any) map[string]string {
	t := reflect.TypeOf(dst)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		out[f.Name] = f.Tag.Get("form")
	}
	return out
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
